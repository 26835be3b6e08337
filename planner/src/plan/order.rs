//! Ordering steps: explicit dependencies plus what steps create, need, drop and
//! release, solved with petgraph. Phases run in order; within a phase, ties are
//! broken by the order the changes came in, so the same input gives the same plan.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::error::PlanError;
use crate::step::{Draft, Obj, Phase, Step};

/// Orders `steps` (given in change order) and fills in each step's `depends_on`.
pub fn order(steps: Vec<Draft>) -> Result<Vec<Step>, PlanError> {
    let mut graph: DiGraph<usize, ()> = DiGraph::with_capacity(steps.len(), steps.len() * 2);
    let nodes: Vec<NodeIndex> = (0..steps.len()).map(|i| graph.add_node(i)).collect();
    let by_id: BTreeMap<&str, usize> = steps.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let mut creators: BTreeMap<&Obj, Vec<usize>> = BTreeMap::new();
    let mut releasers: BTreeMap<&Obj, Vec<usize>> = BTreeMap::new();
    let mut needers: BTreeMap<&Obj, Vec<usize>> = BTreeMap::new();
    for (i, step) in steps.iter().enumerate() {
        step.objects.creates.iter().for_each(|o| creators.entry(o).or_default().push(i));
        step.objects.releases.iter().for_each(|o| releasers.entry(o).or_default().push(i));
        step.objects.needs.iter().for_each(|o| needers.entry(o).or_default().push(i));
    }
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        for dependency in &step.depends_on {
            if let Some(&j) = by_id.get(dependency.as_str()) {
                edges.push((j, i));
            }
        }
        for obj in &step.objects.needs {
            edges.extend(creators.get(obj).into_iter().flatten().map(|&c| (c, i)));
        }
        for obj in &step.objects.drops {
            // Whatever stops using the object, or still needs it, goes first.
            edges.extend(releasers.get(obj).into_iter().flatten().map(|&r| (r, i)));
            edges.extend(
                needers
                    .get(obj)
                    .into_iter()
                    .flatten()
                    .filter(|&&n| steps[n].phase <= step.phase)
                    .map(|&n| (n, i)),
            );
        }
    }
    edges.sort_unstable();
    edges.dedup();
    for &(from, to) in edges.iter().filter(|(f, t)| f != t) {
        if steps[from].phase > steps[to].phase {
            return Err(PlanError::Cycle {
                steps: vec![steps[to].id.clone(), steps[from].id.clone()],
            });
        }
        graph.add_edge(nodes[from], nodes[to], ());
    }
    let sequence = topological(&graph, &steps)?;
    let position: Vec<usize> = {
        let mut position = vec![0; steps.len()];
        sequence.iter().enumerate().for_each(|(p, &i)| position[i] = p);
        position
    };
    let mut dependencies: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for &(from, to) in edges.iter().filter(|(f, t)| f != t) {
        dependencies[to].push(from);
    }
    let mut slots: Vec<Option<Step>> = steps.into_iter().map(|d| Some(d.step)).collect();
    let ids: Vec<String> = slots.iter().map(|s| s.as_ref().map(|s| s.id.clone()).unwrap_or_default()).collect();
    let mut ordered = Vec::with_capacity(slots.len());
    for i in sequence {
        let mut step = slots[i].take().expect("invariant: each step is emitted once");
        let mut deps = std::mem::take(&mut dependencies[i]);
        deps.sort_by_key(|&d| position[d]);
        deps.dedup();
        step.depends_on = deps.into_iter().map(|d| ids[d].clone()).collect();
        ordered.push(step);
    }
    Ok(ordered)
}

/// Kahn's algorithm, always taking the ready step of the earliest phase and then the
/// earliest change; a cycle is reported with the steps on it.
fn topological(graph: &DiGraph<usize, ()>, steps: &[Draft]) -> Result<Vec<usize>, PlanError> {
    let mut indegree: Vec<usize> = graph.node_indices().map(|n| graph.neighbors_directed(n, petgraph::Incoming).count()).collect();
    let mut ready: BinaryHeap<Reverse<(Phase, usize)>> = graph
        .node_indices()
        .filter(|n| indegree[n.index()] == 0)
        .map(|n| Reverse((steps[n.index()].phase, n.index())))
        .collect();
    let mut sequence = Vec::with_capacity(steps.len());
    while let Some(Reverse((_, i))) = ready.pop() {
        sequence.push(i);
        for next in graph.neighbors(NodeIndex::new(i)) {
            indegree[next.index()] -= 1;
            if indegree[next.index()] == 0 {
                ready.push(Reverse((steps[next.index()].phase, next.index())));
            }
        }
    }
    if sequence.len() == steps.len() {
        return Ok(sequence);
    }
    let cycle = tarjan_scc(graph).into_iter().find(|scc| scc.len() > 1).unwrap_or_default();
    let mut names: Vec<String> = cycle.iter().map(|n| steps[n.index()].id.clone()).collect();
    names.sort();
    Err(PlanError::Cycle { steps: names })
}
