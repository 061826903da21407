//! A network as a graph of named nodes: each node is an operation ([`Op`]) on the outputs of
//! earlier nodes, with the output shape inferred when the graph is built.
//!
//! [`Graph::new`] takes the input shape and a list of [`LayerSpec`]s in order, each naming
//! its inputs (by default the layer before it, so a plain list is a sequential model). It
//! names layers Keras' way when they are not named (`conv2d`, `conv2d_1`, …, counted per
//! kind), resolves inputs, checks each operation's settings and shape rule, and checks the
//! graph as a whole:
//! * the first node is the input (named `input`), the last the output;
//! * inputs name the input or an earlier layer, so the list is in topological order;
//! * every output but the last is used by some later layer;
//! * softmax only on the last layer, over at least two units;
//! * the output is a flat vector (the loss compares it with one-hot labels);
//! * at most [`MAX_PARAMETERS`] trainable parameters.
//!
//! Every error names the layer (by name and position) and what is wrong with it.
//!
//! Architecture invariant: a [`Graph`] that exists is valid, so the planner, the machine and
//! the golden reference never re-check shapes.

use crate::ops::{Activation, Arity, Op, OpFault, ParamShapes};
use crate::shape::Shape;
use std::collections::BTreeMap;
use thiserror::Error;

/// The most trainable parameters a model may have: 2^28 (1 GiB of `f32`), far beyond what a
/// machine of a few boards holds, and low enough that initialisation can always allocate them.
pub const MAX_PARAMETERS: usize = 1 << 28;

/// The input node's name, which layers list to take the network input.
pub const INPUT_NAME: &str = "input";

/// A node's index in its graph; the input is node 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub usize);

impl NodeId {
    pub fn index(self) -> usize {
        self.0
    }
}

/// One layer as written: an operation, an optional name and optional inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSpec {
    /// `None`: named automatically after its kind.
    pub name: Option<String>,
    pub op: Op,
    /// Names of the input or earlier layers; `None`: the layer before (or the input).
    pub inputs: Option<Vec<String>>,
}

impl LayerSpec {
    /// An unnamed layer on the previous layer's output.
    pub fn new(op: Op) -> LayerSpec {
        LayerSpec {
            name: None,
            op,
            inputs: None,
        }
    }
}

/// A node of a built graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub op: Op,
    pub inputs: Vec<NodeId>,
    /// Its output's shape, one sample's worth.
    pub shape: Shape,
}

/// A validated network graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    nodes: Vec<Node>,
    consumers: Vec<Vec<NodeId>>,
}

/// Why a graph is invalid. `layer` is the 0-based position in the layer list (the input is
/// not counted), `name` the layer's name.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GraphError {
    #[error("model input: {reason}")]
    BadInput { reason: String },

    #[error("model has no layers")]
    NoLayers,

    #[error(
        "layer {layer} (\"{name}\"): the name is already taken by the input or an earlier layer"
    )]
    DuplicateName { layer: usize, name: String },

    #[error("layer {layer} (\"{name}\"): a layer name must be non-empty, without '/', ':', control characters or surrounding spaces (weights are stored as name/kernel)")]
    BadName { layer: usize, name: String },

    #[error(
        "layer {layer} (\"{name}\"): input \"{input}\" is neither the input nor an earlier layer"
    )]
    UnknownInput {
        layer: usize,
        name: String,
        input: String,
    },

    #[error("layer {layer} (\"{name}\"): {kind} takes {}, got {got}", arity_text(*.expected))]
    Arity {
        layer: usize,
        name: String,
        kind: &'static str,
        expected: Arity,
        got: usize,
    },

    #[error("layer {layer} (\"{name}\"): {}", .fault.message)]
    Op {
        layer: usize,
        name: String,
        fault: OpFault,
    },

    #[error("layer {layer} (\"{name}\") uses softmax but is not the last layer")]
    SoftmaxNotLast { layer: usize, name: String },

    #[error("layer {layer} (\"{name}\") uses softmax over {units} unit, which is constant; softmax needs at least 2 units")]
    SoftmaxSingleUnit {
        layer: usize,
        name: String,
        units: usize,
    },

    #[error("layer {layer} (\"{name}\") takes the model past {limit} parameters")]
    TooManyParameters {
        layer: usize,
        name: String,
        limit: usize,
    },

    #[error(
        "layer {layer} (\"{name}\"): its output is never used (only the last layer's may not be)"
    )]
    Unused { layer: usize, name: String },

    #[error("layer {layer} (\"{name}\"): the network's output has shape {shape}, but the loss needs a flat vector (end with a flatten or a global pooling and a dense layer)")]
    OutputNotFlat {
        layer: usize,
        name: String,
        shape: Shape,
    },
}

fn arity_text(arity: Arity) -> &'static str {
    match arity {
        Arity::One => "one input",
        Arity::AtLeastTwo => "two or more inputs",
    }
}

impl GraphError {
    /// The layer the error is about, and the model-file key of that layer at fault (`name`,
    /// `inputs`, `activation`, or an operation setting such as `kernel_size`; `kind` for the
    /// operation's own key).
    pub fn location(&self) -> Option<(usize, &'static str)> {
        match self {
            GraphError::BadInput { .. } | GraphError::NoLayers => None,
            GraphError::DuplicateName { layer, .. }
            | GraphError::BadName { layer, .. }
            | GraphError::Unused { layer, .. } => Some((*layer, "name")),
            GraphError::UnknownInput { layer, .. } | GraphError::Arity { layer, .. } => {
                Some((*layer, "inputs"))
            }
            GraphError::Op { layer, fault, .. } => Some((*layer, fault.field)),
            GraphError::SoftmaxNotLast { layer, .. }
            | GraphError::SoftmaxSingleUnit { layer, .. } => Some((*layer, "activation")),
            GraphError::TooManyParameters { layer, .. }
            | GraphError::OutputNotFlat { layer, .. } => Some((*layer, "kind")),
        }
    }
}

impl Graph {
    /// Builds and checks the graph of `layers` on an input of shape `input` (see the module
    /// doc for the rules).
    pub fn new(input: Shape, layers: Vec<LayerSpec>) -> Result<Graph, GraphError> {
        if let Some(reason) = input.check() {
            return Err(GraphError::BadInput { reason });
        }
        if layers.is_empty() {
            return Err(GraphError::NoLayers);
        }
        let mut nodes = vec![Node {
            name: INPUT_NAME.to_string(),
            op: Op::Input,
            inputs: Vec::new(),
            shape: input,
        }];
        let mut by_name: BTreeMap<String, NodeId> = BTreeMap::new();
        by_name.insert(INPUT_NAME.to_string(), NodeId(0));
        let mut auto_count: BTreeMap<&'static str, usize> = BTreeMap::new();
        let mut n_parameters = 0usize;
        let n_layers = layers.len();
        for (layer, spec) in layers.into_iter().enumerate() {
            let operation = spec.op.as_operation().ok_or_else(|| GraphError::Op {
                layer,
                name: spec.name.clone().unwrap_or_default(),
                fault: OpFault::new("kind", "only the first node is the input"),
            })?;
            let kind = operation.kind();
            let name = match spec.name {
                Some(name) => name,
                None => {
                    let n = auto_count.entry(kind).or_insert(0);
                    let name = if *n == 0 {
                        kind.to_string()
                    } else {
                        format!("{kind}_{n}")
                    };
                    *n += 1;
                    name
                }
            };
            // A control character (a newline) would break every message naming the layer.
            if name.is_empty()
                || name.contains(['/', ':'])
                || name.trim() != name
                || name.contains(char::is_control)
            {
                let name = crate::data::clipped(&name, crate::data::QUOTED_CHARS);
                return Err(GraphError::BadName { layer, name });
            }
            if by_name.contains_key(&name) {
                return Err(GraphError::DuplicateName { layer, name });
            }
            operation.validate().map_err(|fault| GraphError::Op {
                layer,
                name: name.clone(),
                fault,
            })?;
            let inputs: Vec<NodeId> = match &spec.inputs {
                None => vec![NodeId(nodes.len() - 1)],
                Some(names) => names
                    .iter()
                    .map(|input| {
                        by_name
                            .get(input)
                            .copied()
                            .ok_or_else(|| GraphError::UnknownInput {
                                layer,
                                name: name.clone(),
                                input: crate::data::clipped(input, crate::data::QUOTED_CHARS),
                            })
                    })
                    .collect::<Result<_, _>>()?,
            };
            let arity_ok = match operation.arity() {
                Arity::One => inputs.len() == 1,
                Arity::AtLeastTwo => inputs.len() >= 2,
            };
            if !arity_ok {
                return Err(GraphError::Arity {
                    layer,
                    name,
                    kind,
                    expected: operation.arity(),
                    got: inputs.len(),
                });
            }
            let shapes: Vec<&Shape> = inputs.iter().map(|i| &nodes[i.0].shape).collect();
            let op_error = |fault: OpFault| GraphError::Op {
                layer,
                name: name.clone(),
                fault,
            };
            let shape = operation.output_shape(&shapes).map_err(op_error)?;
            if let Some(reason) = shape.check() {
                return Err(op_error(OpFault::new(
                    "kind",
                    format!("its output: {reason}"),
                )));
            }
            if let Some(params) = operation.parameters(&shapes) {
                n_parameters = params
                    .kernel_len_checked()
                    .and_then(|k| k.checked_add(params.outputs))
                    .and_then(|k| k.checked_add(n_parameters))
                    .filter(|&n| n <= MAX_PARAMETERS)
                    .ok_or(GraphError::TooManyParameters {
                        layer,
                        name: name.clone(),
                        limit: MAX_PARAMETERS,
                    })?;
            }
            if operation.activation() == Activation::Softmax {
                if layer + 1 != n_layers {
                    return Err(GraphError::SoftmaxNotLast { layer, name });
                }
                if shape.len() < 2 {
                    return Err(GraphError::SoftmaxSingleUnit {
                        layer,
                        name,
                        units: shape.len(),
                    });
                }
            }
            by_name.insert(name.clone(), NodeId(nodes.len()));
            nodes.push(Node {
                name,
                op: spec.op,
                inputs,
                shape,
            });
        }
        let mut consumers = vec![Vec::new(); nodes.len()];
        for (i, node) in nodes.iter().enumerate() {
            for input in &node.inputs {
                if !consumers[input.0].contains(&NodeId(i)) {
                    consumers[input.0].push(NodeId(i));
                }
            }
        }
        let last = nodes.len() - 1;
        if let Some(unused) = (0..last).find(|&i| consumers[i].is_empty()) {
            return Err(GraphError::Unused {
                layer: unused.saturating_sub(1),
                name: nodes[unused].name.clone(),
            });
        }
        if nodes[last].shape.rank() != 1 {
            return Err(GraphError::OutputNotFlat {
                layer: last - 1,
                name: nodes[last].name.clone(),
                shape: nodes[last].shape.clone(),
            });
        }
        Ok(Graph { nodes, consumers })
    }

    /// Every node, the input first, in topological order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0]
    }

    pub fn input(&self) -> &Node {
        &self.nodes[0]
    }

    /// The node whose output is the network's output (the last).
    pub fn output(&self) -> NodeId {
        NodeId(self.nodes.len() - 1)
    }

    /// The nodes that take `id`'s output, in order, each once.
    pub fn consumers(&self, id: NodeId) -> &[NodeId] {
        &self.consumers[id.0]
    }

    /// The node called `name`.
    pub fn find(&self, name: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.name == name).map(NodeId)
    }

    /// The input shapes of `id`.
    pub fn input_shapes(&self, id: NodeId) -> Vec<&Shape> {
        self.nodes[id.0]
            .inputs
            .iter()
            .map(|i| &self.nodes[i.0].shape)
            .collect()
    }

    /// The trainable parameters of `id`, if its operation has any.
    pub fn parameters(&self, id: NodeId) -> Option<ParamShapes> {
        let op = self.nodes[id.0].op.as_operation()?;
        op.parameters(&self.input_shapes(id))
    }

    /// The nodes with trainable parameters and their shapes, in order.
    pub fn weighted(&self) -> Vec<(NodeId, ParamShapes)> {
        (0..self.nodes.len())
            .filter_map(|i| self.parameters(NodeId(i)).map(|p| (NodeId(i), p)))
            .collect()
    }

    /// The graph as the layer list that builds it (names and inputs always given).
    pub fn layer_specs(&self) -> Vec<LayerSpec> {
        self.nodes[1..]
            .iter()
            .map(|n| LayerSpec {
                name: Some(n.name.clone()),
                op: n.op.clone(),
                inputs: Some(
                    n.inputs
                        .iter()
                        .map(|i| self.nodes[i.0].name.clone())
                        .collect(),
                ),
            })
            .collect()
    }
}

impl ParamShapes {
    /// [`ParamShapes::kernel_len`] without overflow.
    fn kernel_len_checked(&self) -> Option<usize> {
        self.window[0]
            .checked_mul(self.window[1])?
            .checked_mul(self.inputs)?
            .checked_mul(self.outputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{Add, Conv, Dense, Flatten, Padding, Pool, PoolKind};

    fn dense(units: usize, activation: Activation) -> LayerSpec {
        LayerSpec::new(Op::Dense(Dense { units, activation }))
    }

    fn conv(filters: usize, name: Option<&str>, inputs: Option<&[&str]>) -> LayerSpec {
        LayerSpec {
            name: name.map(str::to_string),
            op: Op::Conv(Conv::conv2d(
                filters,
                [3, 3],
                [1, 1],
                Padding::Same,
                Activation::Relu,
            )),
            inputs: inputs.map(|i| i.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn layers_are_named_and_shaped_as_keras_does() {
        let graph = Graph::new(
            Shape::new(vec![8, 8, 1]),
            vec![
                conv(4, None, None),
                conv(4, None, None),
                LayerSpec::new(Op::Pool(Pool::new_2d(PoolKind::Max, [2, 2]))),
                LayerSpec::new(Op::Flatten(Flatten)),
                dense(10, Activation::Softmax),
            ],
        )
        .expect("valid");
        let names: Vec<&str> = graph.nodes().iter().map(|n| n.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "input",
                "conv2d",
                "conv2d_1",
                "max_pooling2d",
                "flatten",
                "dense"
            ]
        );
        let shapes: Vec<String> = graph.nodes().iter().map(|n| n.shape.to_string()).collect();
        assert_eq!(
            shapes,
            [
                "(8, 8, 1)",
                "(8, 8, 4)",
                "(8, 8, 4)",
                "(4, 4, 4)",
                "(64,)",
                "(10,)"
            ]
        );
        let params: Vec<Vec<usize>> = graph
            .weighted()
            .into_iter()
            .map(|(_, p)| p.kernel)
            .collect();
        assert_eq!(params, [vec![3, 3, 1, 4], vec![3, 3, 4, 4], vec![64, 10]]);
        assert_eq!(graph.consumers(NodeId(2)), &[NodeId(3)]);
    }

    #[test]
    fn a_residual_graph_lists_its_inputs() {
        let graph = Graph::new(
            Shape::new(vec![6, 6, 2]),
            vec![
                conv(2, Some("a"), None),
                conv(2, Some("b"), None),
                LayerSpec {
                    name: Some("sum".into()),
                    op: Op::Add(Add {
                        activation: Activation::Relu,
                    }),
                    inputs: Some(vec!["a".into(), "b".into()]),
                },
                LayerSpec::new(Op::Flatten(Flatten)),
                dense(3, Activation::Softmax),
            ],
        )
        .expect("valid");
        let a = graph.find("a").expect("a");
        assert_eq!(graph.consumers(a), &[NodeId(2), NodeId(3)]);
        assert_eq!(graph.node(NodeId(3)).inputs, [NodeId(1), NodeId(2)]);
    }

    #[test]
    fn errors_name_the_layer() {
        let input = || Shape::new(vec![8, 8, 1]);
        let cases: Vec<(Vec<LayerSpec>, &str)> = vec![
            (vec![], "model has no layers"),
            (
                vec![dense(3, Activation::Relu)],
                "layer 0 (\"dense\"): dense takes a flat vector, but its input has shape (8, 8, 1); put a flatten layer before it",
            ),
            (
                vec![conv(2, Some("input"), None)],
                "layer 0 (\"input\"): the name is already taken by the input or an earlier layer",
            ),
            (
                vec![conv(2, None, Some(&["nope"]))],
                "layer 0 (\"conv2d\"): input \"nope\" is neither the input nor an earlier layer",
            ),
            (
                vec![
                    conv(2, None, None),
                    LayerSpec::new(Op::Add(Add {
                        activation: Activation::Identity,
                    })),
                ],
                "layer 1 (\"add\"): add takes two or more inputs, got 1",
            ),
            (
                vec![
                    conv(2, Some("a"), None),
                    LayerSpec::new(Op::Pool(Pool::new_2d(PoolKind::Max, [2, 2]))),
                    LayerSpec {
                        name: None,
                        op: Op::Add(Add {
                            activation: Activation::Identity,
                        }),
                        inputs: Some(vec!["a".into(), "max_pooling2d".into()]),
                    },
                ],
                "layer 2 (\"add\"): add needs inputs of one shape, got (8, 8, 2), (4, 4, 2) ((8, 8, 2) and (4, 4, 2) differ)",
            ),
            (
                vec![LayerSpec::new(Op::Conv(Conv::conv2d(
                    2,
                    [9, 9],
                    [1, 1],
                    Padding::Valid,
                    Activation::Relu,
                )))],
                "layer 0 (\"conv2d\"): a window of 9 does not fit 8 input positions with valid padding (input (8, 8, 1))",
            ),
            (
                vec![conv(0, None, None)],
                "layer 0 (\"conv2d\"): filters must be at least 1, got [0]",
            ),
            (
                vec![conv(2, None, None), conv(2, None, Some(&["input"])), LayerSpec::new(Op::Flatten(Flatten)), dense(2, Activation::Softmax)],
                "layer 0 (\"conv2d\"): its output is never used (only the last layer's may not be)",
            ),
            (
                vec![conv(2, None, None)],
                "layer 0 (\"conv2d\"): the network's output has shape (8, 8, 2), but the loss needs a flat vector (end with a flatten or a global pooling and a dense layer)",
            ),
            (
                vec![LayerSpec::new(Op::Flatten(Flatten)), dense(4, Activation::Softmax), dense(2, Activation::Relu)],
                "layer 1 (\"dense\") uses softmax but is not the last layer",
            ),
        ];
        for (layers, message) in cases {
            let err = Graph::new(input(), layers).expect_err(message);
            assert_eq!(err.to_string(), message);
        }
        assert_eq!(
            Graph::new(Shape::new(vec![0]), vec![dense(1, Activation::Relu)])
                .expect_err("empty input")
                .to_string(),
            "model input: shape (0,) has a zero dimension"
        );
    }
}
