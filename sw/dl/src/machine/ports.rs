//! How a DNN core's packets are keyed: every partition carries a list of elements for each
//! sample slot, `key = base + (slot × width + k) × words + word`, so a receiver finds the slot,
//! the element and the word of a packet from `key − base` alone (DESIGN.md: aligned key blocks,
//! receivers index by `key − base`).
//!
//! Element `k` of a partition is a position in the sender's buffer (`src[k]`) and a position
//! in the receiver's (`dst[k]`): the elements a tile's input region shares with a producer's
//! output, in flat order. A receiving core would compute these positions from the regions'
//! corners with a few ALU operations per packet (charged); the simulation keeps them as
//! tables. A value is one word; a sum travels as [`Arith::SUM_KEYS`](super::Arith::SUM_KEYS)
//! possible words (see [`super::arith`]).

use std::sync::Arc;

/// What a partition carries to the receiving core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortKind {
    /// From the feeder: a batch starts; the key's offset is the [`Mode`], the payload its
    /// [`BatchShare`].
    Control,
    /// Values of an input tensor, into input stream `stream`; for the loss core, the network's
    /// outputs.
    Values,
    /// A sample's labels, for the loss core.
    Labels,
    /// A block's partial sums for blocked term `stream` of its tile.
    Partials,
    /// `δ` contributions (sums) for the receiver's output, from a core that read it.
    Contributions,
    /// `δz` from a tile to its blocks, or the output's `δ` from the loss core to a tile.
    Deltas,
    /// A slot is free again, for the feeder.
    Credits,
    /// A weight copy's gradient sums, for the root of its reduction.
    GradientShare,
    /// The summed gradients of a reduction, from its root to every other copy.
    GradientTotal,
    /// The batch's loss summed over the replicas before this one, from the previous replica's
    /// loss core (two words).
    LossCarry,
}

/// The samples of a batch one replica takes (its share) and the batch's size over every
/// replica (what the mean loss and the update divide by), as the control packet's payload
/// carries them: the share in the low 16 bits, the total in the high 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchShare {
    pub share: u32,
    pub total: u32,
}

impl BatchShare {
    /// The most samples a batch (and so a share) may have in the control packet's payload.
    pub const MAX: u32 = u16::MAX as u32;

    /// A whole batch taken by one copy.
    pub fn whole(size: u32) -> BatchShare {
        BatchShare {
            share: size,
            total: size,
        }
    }

    pub fn payload(self) -> u32 {
        debug_assert!(self.share <= self.total && self.total <= BatchShare::MAX);
        self.share | self.total << 16
    }

    pub fn from_payload(payload: u32) -> BatchShare {
        BatchShare {
            share: payload & 0xffff,
            total: payload >> 16,
        }
    }

    /// The shares of a batch of `total` samples over `replicas` copies, in replica order:
    /// contiguous runs of samples, the first `total mod replicas` one sample longer.
    pub fn split(total: u32, replicas: u32) -> Vec<BatchShare> {
        (0..replicas)
            .map(|r| BatchShare {
                share: total / replicas + u32::from(r < total % replicas),
                total,
            })
            .collect()
    }
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InPort {
    pub base: u32,
    pub n_keys: u32,
    pub kind: PortKind,
    /// Which of the receiver's streams (input tensor, blocked term) it feeds.
    pub stream: u32,
    /// Elements per slot.
    pub width: u32,
    /// Keys per element.
    pub words: u32,
    /// Per element, its position in the receiver's buffer; `None`: element `k` is position
    /// `k` (control, credits, labels).
    pub dst: Option<Arc<[u32]>>,
}

/// A decoded packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    pub kind: PortKind,
    pub stream: u32,
    pub slot: u32,
    /// Position in the receiver's buffer.
    pub index: u32,
    pub word: u32,
}

/// A core's receiving ports, searchable by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InPorts {
    /// Sorted by base.
    ports: Vec<InPort>,
}

impl InPorts {
    pub fn new(mut ports: Vec<InPort>) -> InPorts {
        ports.sort_by_key(|p| p.base);
        InPorts { ports }
    }

    pub fn iter(&self) -> impl Iterator<Item = &InPort> {
        self.ports.iter()
    }

    /// Words a slot of `stream` receives on ports of `kind` (elements × the words each counts
    /// for).
    pub fn expected(&self, kind: PortKind, stream: u32, words_per_element: u32) -> u32 {
        self.ports
            .iter()
            .filter(|p| p.kind == kind && p.stream == stream)
            .map(|p| p.width * words_per_element)
            .sum()
    }

    /// The port, slot, element and word a key stands for, or `None` for a key this core does
    /// not receive.
    pub fn decode(&self, key: u32) -> Option<Arrival> {
        let at = self.ports.partition_point(|p| p.base <= key);
        let port = self.ports.get(at.checked_sub(1)?)?;
        let offset = key - port.base;
        if offset >= port.n_keys {
            return None;
        }
        let (element, word) = (offset / port.words, offset % port.words);
        let k = element % port.width;
        Some(Arrival {
            kind: port.kind,
            stream: port.stream,
            slot: element / port.width,
            index: port.dst.as_ref().map_or(k, |dst| dst[k as usize]),
            word,
        })
    }
}

/// One partition a core sends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutPort {
    pub base: u32,
    pub width: u32,
    pub words: u32,
    /// Per element, its position in the sender's buffer; `None`: element `k` is position `k`.
    pub src: Option<Arc<[u32]>>,
}

impl OutPort {
    /// The key of word `word` of element `k` for `slot`.
    pub fn key(&self, slot: u32, k: u32, word: u32) -> u32 {
        self.base + (slot * self.width + k) * self.words + word
    }

    /// The sender's buffer position of element `k`.
    pub fn source(&self, k: u32) -> usize {
        self.src.as_ref().map_or(k, |src| src[k as usize]) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_decode_to_the_slot_element_and_word_they_were_sent_for() {
        let out = OutPort {
            base: 0x100,
            width: 5,
            words: 2,
            src: Some(Arc::from(vec![9, 8, 7, 6, 5])),
        };
        let ports = InPorts::new(vec![
            InPort {
                base: 0x100,
                n_keys: 4 * 5 * 2,
                kind: PortKind::Partials,
                stream: 1,
                width: 5,
                words: 2,
                dst: Some(Arc::from(vec![3, 4, 5, 6, 7])),
            },
            InPort {
                base: 0x40,
                n_keys: 3,
                kind: PortKind::Control,
                stream: 0,
                width: 1,
                words: 1,
                dst: None,
            },
        ]);
        assert_eq!(out.source(4), 5);
        let arrival = ports.decode(out.key(2, 4, 1)).expect("a key of the port");
        assert_eq!(
            arrival,
            Arrival {
                kind: PortKind::Partials,
                stream: 1,
                slot: 2,
                index: 7,
                word: 1,
            }
        );
        assert_eq!(ports.decode(0x100 + 40), None);
        assert_eq!(ports.decode(0x43), None);
        assert_eq!(ports.decode(0x3f), None);
        assert_eq!(ports.decode(0x42).map(|a| a.kind), Some(PortKind::Control));
        assert_eq!(ports.expected(PortKind::Partials, 1, 2), 10);
    }
}
