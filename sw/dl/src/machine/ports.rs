//! How a DNN core's packets are keyed: every partition is a vector of values per sample slot,
//! `key = base + (slot × width + k) × words + word`, so a receiver finds the slot, the element
//! and the word of a packet by `key − base` alone (DESIGN.md: aligned key blocks, receivers
//! index by `key − base`). A sum travels as [`Arith::SUM_WORDS`](super::Arith::SUM_WORDS) words.

/// What a partition carries to the receiving core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortKind {
    /// From the feeder: a batch starts; the key's offset is the [`Mode`], the payload its size.
    Control,
    /// Activations (or the network input) for the receiver's rows, or the output layer's
    /// activations for the loss core.
    Values,
    /// A sample's labels, for the loss core.
    Labels,
    /// A block's partial dot products, for its accumulator.
    ForwardPartials,
    /// `δz` from an accumulator to its blocks, or `δ` from the loss core to an output
    /// accumulator.
    Deltas,
    /// A block's `Wᵀδ` partials, for the accumulators of the layer below.
    BackwardPartials,
    /// A slot is free again, for the feeder.
    Credits,
}

/// What a batch does, sent in the control packet's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward, loss, backward and an update at the batch end.
    Train = 0,
    /// Forward and loss; no backward, no update.
    Evaluate = 1,
    /// Forward only; the feeder sends no labels.
    Predict = 2,
}

impl Mode {
    pub const COUNT: u32 = 3;

    pub fn from_index(i: u32) -> Option<Mode> {
        [Mode::Train, Mode::Evaluate, Mode::Predict]
            .get(i as usize)
            .copied()
    }
}

/// One partition a core receives, resolved to its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InPort {
    pub base: u32,
    pub n_keys: u32,
    pub kind: PortKind,
    /// Where element 0 of the partition lands in the receiver's own vector.
    pub offset: u32,
    pub width: u32,
    pub words: u32,
}

/// A decoded packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    pub kind: PortKind,
    pub slot: u32,
    /// Index into the receiver's vector (the partition's element plus the port's offset).
    pub index: u32,
    pub word: u32,
    /// Which of the receiver's ports of this kind it came by (in the order they were given).
    pub port: u32,
}

/// A core's receiving ports, searchable by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InPorts {
    /// Sorted by base, with the port's rank among those of its kind.
    ports: Vec<(InPort, u32)>,
}

impl InPorts {
    pub fn new(ports: Vec<InPort>) -> InPorts {
        let mut ranked: Vec<(InPort, u32)> = Vec::with_capacity(ports.len());
        for port in ports {
            let rank = ranked.iter().filter(|(p, _)| p.kind == port.kind).count() as u32;
            ranked.push((port, rank));
        }
        ranked.sort_by_key(|(p, _)| p.base);
        InPorts { ports: ranked }
    }

    pub fn count(&self, kind: PortKind) -> usize {
        self.ports.iter().filter(|(p, _)| p.kind == kind).count()
    }

    pub fn iter(&self) -> impl Iterator<Item = &InPort> {
        self.ports.iter().map(|(p, _)| p)
    }

    /// The port, slot, element and word a key stands for, or `None` for a key this core does
    /// not receive.
    pub fn decode(&self, key: u32) -> Option<Arrival> {
        let at = self.ports.partition_point(|(p, _)| p.base <= key);
        let &(port, rank) = self.ports.get(at.checked_sub(1)?)?;
        let offset = key - port.base;
        if offset >= port.n_keys {
            return None;
        }
        let (element, word) = (offset / port.words, offset % port.words);
        Some(Arrival {
            kind: port.kind,
            slot: element / port.width,
            index: port.offset + element % port.width,
            word,
            port: rank,
        })
    }
}

/// One partition a core sends on: elements `offset .. offset + width` of its own vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutPort {
    pub base: u32,
    pub offset: u32,
    pub width: u32,
    pub words: u32,
}

impl OutPort {
    /// The key of word `word` of element `k` (counted from the port's offset) for `slot`.
    pub fn key(&self, slot: u32, k: u32, word: u32) -> u32 {
        self.base + (slot * self.width + k) * self.words + word
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_decode_to_the_slot_element_and_word_they_were_sent_for() {
        let out = OutPort {
            base: 0x100,
            offset: 0,
            width: 5,
            words: 2,
        };
        let ports = InPorts::new(vec![
            InPort {
                base: 0x100,
                n_keys: 4 * 5 * 2,
                kind: PortKind::ForwardPartials,
                offset: 3,
                width: 5,
                words: 2,
            },
            InPort {
                base: 0x40,
                n_keys: 3,
                kind: PortKind::Control,
                offset: 0,
                width: 1,
                words: 1,
            },
        ]);
        let arrival = ports.decode(out.key(2, 4, 1)).expect("a key of the port");
        assert_eq!(
            arrival,
            Arrival {
                kind: PortKind::ForwardPartials,
                slot: 2,
                index: 7,
                word: 1,
                port: 0
            }
        );
        assert_eq!(ports.decode(0x100 + 40), None);
        assert_eq!(ports.decode(0x43), None);
        assert_eq!(ports.decode(0x3f), None);
        assert_eq!(ports.decode(0x42).map(|a| a.kind), Some(PortKind::Control));
    }
}
