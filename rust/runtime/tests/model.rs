//! Property test: random sequences of port operations and messages run against the local
//! space and against a small reference model of Mach's rules; after every step the names,
//! their rights and user references, and every received message must agree.

mod common;

use std::collections::{BTreeMap, VecDeque};

use common::*;
use migz::Space;
use migz::abi::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Allocate,
    MakeSend(usize),
    ModSend(usize, i32),
    Deallocate(usize),
    DestroyReceive(usize),
    Send {
        dest: usize,
        id: i32,
        carry: Option<usize>,
    },
    Receive(usize),
    SetQlimit(usize, u32),
    AllocateSet,
    MoveMember(usize, Option<usize>),
    DestroySet(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Allocate),
        2 => (0..8usize).prop_map(Op::MakeSend),
        1 => (0..8usize, -2..3i32).prop_map(|(n, d)| Op::ModSend(n, d)),
        1 => (0..8usize).prop_map(Op::Deallocate),
        1 => (0..8usize).prop_map(Op::DestroyReceive),
        4 => (0..8usize, 0..1000i32, proptest::option::of(0..8usize)).prop_map(|(dest, id, carry)| Op::Send { dest, id, carry }),
        3 => (0..8usize).prop_map(Op::Receive),
        1 => (0..8usize, 1..6u32).prop_map(|(n, q)| Op::SetQlimit(n, q)),
        1 => Just(Op::AllocateSet),
        2 => (0..8usize, proptest::option::of(0..8usize)).prop_map(|(m, s)| Op::MoveMember(m, s)),
        1 => (0..8usize).prop_map(Op::DestroySet),
    ]
}

#[derive(Clone, Debug)]
struct MPort {
    alive: bool,
    qlimit: usize,
    queue: VecDeque<(i32, Option<usize>)>,
    set: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct MEntry {
    receive: bool,
    send: u32,
    dead: u32,
    port: Option<usize>,
    set: bool,
}

#[derive(Default, Debug)]
struct Model {
    ports: Vec<MPort>,
    names: BTreeMap<u32, MEntry>,
}

impl Model {
    fn name_at(&self, i: usize) -> Option<u32> {
        if self.names.is_empty() {
            return None;
        }
        self.names.keys().nth(i % self.names.len()).copied()
    }

    fn kill(&mut self, p: usize) {
        self.ports[p].alive = false;
        self.ports[p].queue.clear();
        self.ports[p].set = None;
        for e in self.names.values_mut() {
            if e.port == Some(p) && e.send > 0 && !e.receive {
                e.dead = e.send;
                e.send = 0;
                e.port = None;
            }
        }
    }

    fn bits(e: &MEntry) -> u32 {
        (if e.receive { MACH_PORT_TYPE_RECEIVE } else { 0 })
            | (if e.send > 0 { MACH_PORT_TYPE_SEND } else { 0 })
            | (if e.dead > 0 {
                MACH_PORT_TYPE_DEAD_NAME
            } else {
                0
            })
            | (if e.set { MACH_PORT_TYPE_PORT_SET } else { 0 })
    }

    fn name_of_port(&self, p: usize) -> Option<u32> {
        self.names
            .iter()
            .find(|(_, e)| e.port == Some(p))
            .map(|(n, _)| *n)
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let s = Space::new();
    let mut m = Model::default();
    for op in ops {
        match op {
            Op::Allocate => {
                let n = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
                prop_assert!(!m.names.contains_key(&n), "fresh name");
                m.ports.push(MPort {
                    alive: true,
                    qlimit: 5,
                    queue: VecDeque::new(),
                    set: None,
                });
                m.names.insert(
                    n,
                    MEntry {
                        receive: true,
                        send: 0,
                        dead: 0,
                        port: Some(m.ports.len() - 1),
                        set: false,
                    },
                );
            }
            Op::MakeSend(i) => {
                let Some(n) = m.name_at(i) else { continue };
                let r = s.port_insert_right(n, &s, n, MACH_MSG_TYPE_MAKE_SEND);
                let e = m.names.get_mut(&n).unwrap();
                if e.receive {
                    prop_assert_eq!(r, Ok(()));
                    e.send += 1;
                } else {
                    prop_assert_eq!(r, Err(migz::Error::InvalidRight));
                }
            }
            Op::ModSend(i, d) => {
                let Some(n) = m.name_at(i) else { continue };
                let r = s.port_mod_refs(n, MACH_PORT_RIGHT_SEND, d);
                let e = m.names.get_mut(&n).unwrap();
                if e.send == 0 {
                    prop_assert_eq!(r, Err(migz::Error::InvalidRight));
                } else if (e.send as i32) + d < 0 {
                    prop_assert_eq!(r, Err(migz::Error::InvalidValue));
                } else {
                    prop_assert_eq!(r, Ok(()));
                    e.send = (e.send as i32 + d) as u32;
                    if e.send == 0 && !e.receive {
                        m.names.remove(&n);
                    }
                }
            }
            Op::Deallocate(i) => {
                let Some(n) = m.name_at(i) else { continue };
                let r = s.port_deallocate(n);
                let e = m.names.get_mut(&n).unwrap();
                if e.send > 0 {
                    prop_assert_eq!(r, Ok(()));
                    e.send -= 1;
                } else if e.dead > 0 {
                    prop_assert_eq!(r, Ok(()));
                    e.dead -= 1;
                } else {
                    prop_assert_eq!(r, Err(migz::Error::InvalidRight));
                }
                if e.send == 0 && e.dead == 0 && !e.receive && !e.set {
                    m.names.remove(&n);
                }
            }
            Op::DestroyReceive(i) => {
                let Some(n) = m.name_at(i) else { continue };
                let r = s.port_mod_refs(n, MACH_PORT_RIGHT_RECEIVE, -1);
                let e = m.names.get(&n).unwrap().clone();
                if e.receive {
                    prop_assert_eq!(r, Ok(()));
                    let p = e.port.unwrap();
                    let e = m.names.get_mut(&n).unwrap();
                    e.receive = false;
                    if e.send == 0 {
                        m.names.remove(&n);
                    }
                    m.kill(p);
                } else {
                    prop_assert_eq!(r, Err(migz::Error::InvalidRight));
                }
            }
            Op::Send { dest, id, carry } => {
                let Some(d) = m.name_at(dest) else { continue };
                let de = m.names[&d].clone();
                let disp = if de.receive {
                    MACH_MSG_TYPE_MAKE_SEND
                } else {
                    MACH_MSG_TYPE_COPY_SEND
                };
                let carried = carry.and_then(|c| m.name_at(c));
                let msg = match carried {
                    Some(c) => complex(
                        d,
                        disp,
                        0,
                        0,
                        id,
                        &[Desc::Port(c, MACH_MSG_TYPE_COPY_SEND)],
                        &[],
                    ),
                    None => simple(d, disp, 0, 0, id, &[]),
                };
                let r = send(&s, &msg, Some(0));
                let expect = if de.dead > 0 || (!de.receive && de.send == 0) {
                    MACH_SEND_INVALID_DEST
                } else if carried.is_some_and(|c| m.names[&c].send == 0 && m.names[&c].dead == 0) {
                    MACH_SEND_INVALID_RIGHT
                } else if m.ports[de.port.unwrap()].queue.len() >= m.ports[de.port.unwrap()].qlimit
                {
                    MACH_SEND_TIMED_OUT
                } else {
                    0
                };
                prop_assert_eq!(r, expect);
                if r == 0 {
                    let p = de.port.unwrap();
                    if de.receive {
                        // MAKE_SEND for the destination bumps nothing the model tracks.
                    }
                    let payload = carried.and_then(|c| m.names[&c].port);
                    let payload = match carried {
                        Some(c) if m.names[&c].dead > 0 => Some(usize::MAX),
                        Some(_) => payload,
                        None => None,
                    };
                    m.ports[p].queue.push_back((id, payload));
                }
            }
            Op::Receive(i) => {
                let Some(n) = m.name_at(i) else { continue };
                let (r, b) = recv(&s, n, 256, 0, Some(0));
                let e = m.names[&n].clone();
                let p = if e.set {
                    if r == MACH_RCV_TIMED_OUT {
                        prop_assert!(
                            m.ports
                                .iter()
                                .all(|p| p.set != Some(n) || p.queue.is_empty())
                        );
                        continue;
                    }
                    prop_assert_eq!(r, 0);
                    let from = header(&b).msgh_local_port;
                    let Some(p) = m.names.get(&from).and_then(|e| e.port) else {
                        return Err(TestCaseError::fail("a set delivered from an unknown name"));
                    };
                    prop_assert_eq!(m.ports[p].set, Some(n), "delivered from a member");
                    p
                } else if !e.receive {
                    prop_assert_eq!(r, MACH_RCV_INVALID_NAME);
                    continue;
                } else {
                    e.port.unwrap()
                };
                let n = if e.set { header(&b).msgh_local_port } else { n };
                match m.ports[p].queue.pop_front() {
                    None => prop_assert_eq!(r, MACH_RCV_TIMED_OUT),
                    Some((id, carried)) => {
                        prop_assert_eq!(r, 0);
                        let h = header(&b);
                        prop_assert_eq!(h.msgh_id, id);
                        prop_assert_eq!(h.msgh_local_port, n);
                        if let Some(c) = carried {
                            let got = read_u32(&b, 28).unwrap();
                            if c == usize::MAX || !m.ports[c].alive {
                                prop_assert_eq!(got, MACH_PORT_DEAD);
                            } else {
                                match m.name_of_port(c) {
                                    Some(existing) => {
                                        prop_assert_eq!(got, existing);
                                        m.names.get_mut(&existing).unwrap().send += 1;
                                    }
                                    None => {
                                        prop_assert!(!m.names.contains_key(&got));
                                        m.names.insert(
                                            got,
                                            MEntry {
                                                receive: false,
                                                send: 1,
                                                dead: 0,
                                                port: Some(c),
                                                set: false,
                                            },
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Op::AllocateSet => {
                let n = s.port_allocate(MACH_PORT_RIGHT_PORT_SET).unwrap();
                prop_assert!(!m.names.contains_key(&n), "fresh name");
                m.names.insert(
                    n,
                    MEntry {
                        receive: false,
                        send: 0,
                        dead: 0,
                        port: None,
                        set: true,
                    },
                );
            }
            Op::MoveMember(i, j) => {
                let Some(member) = m.name_at(i) else { continue };
                let after = j.and_then(|j| m.name_at(j)).unwrap_or(0);
                let r = s.port_move_member(member, after);
                let e = m.names[&member].clone();
                let target_ok = after == 0 || m.names[&after].set;
                if !e.receive || !target_ok {
                    prop_assert_eq!(r, Err(migz::Error::InvalidRight));
                } else if after == 0 && m.ports[e.port.unwrap()].set.is_none() {
                    prop_assert_eq!(r, Err(migz::Error::NotInSet));
                } else {
                    prop_assert_eq!(r, Ok(()));
                    m.ports[e.port.unwrap()].set = (after != 0).then_some(after);
                }
            }
            Op::DestroySet(i) => {
                let Some(n) = m.name_at(i) else { continue };
                let r = s.port_mod_refs(n, MACH_PORT_RIGHT_PORT_SET, -1);
                if m.names[&n].set {
                    prop_assert_eq!(r, Ok(()));
                    m.names.remove(&n);
                    for p in &mut m.ports {
                        if p.set == Some(n) {
                            p.set = None;
                        }
                    }
                } else {
                    prop_assert_eq!(r, Err(migz::Error::InvalidRight));
                }
            }
            Op::SetQlimit(i, q) => {
                let Some(n) = m.name_at(i) else { continue };
                let r = s.port_set_attributes(n, MACH_PORT_LIMITS_INFO, &[q]);
                let e = &m.names[&n];
                if e.receive {
                    prop_assert_eq!(r, Ok(()));
                    m.ports[e.port.unwrap()].qlimit = q as usize;
                } else {
                    prop_assert_eq!(r, Err(migz::Error::InvalidRight));
                }
            }
        }
        // After every step the space and the model agree on every name.
        let real = s.names();
        let want: Vec<(u32, u32)> = m.names.iter().map(|(n, e)| (*n, Model::bits(e))).collect();
        prop_assert_eq!(&real, &want);
        for (n, e) in &m.names {
            prop_assert_eq!(s.port_get_refs(*n, MACH_PORT_RIGHT_SEND).unwrap(), e.send);
            prop_assert_eq!(
                s.port_get_refs(*n, MACH_PORT_RIGHT_DEAD_NAME).unwrap(),
                e.dead
            );
            if e.receive {
                let mut st = [0u32; 10];
                s.port_get_attributes(*n, MACH_PORT_RECEIVE_STATUS, &mut st)
                    .unwrap();
                prop_assert_eq!(st[4] as usize, m.ports[e.port.unwrap()].queue.len());
            }
        }
    }
    // Release everything the model says is held; then nothing may be left.
    for (n, e) in m.names.clone() {
        if e.send > 0 {
            s.port_mod_refs(n, MACH_PORT_RIGHT_SEND, -(e.send as i32))
                .unwrap();
        }
        if e.dead > 0 {
            s.port_mod_refs(n, MACH_PORT_RIGHT_DEAD_NAME, -(e.dead as i32))
                .unwrap();
        }
        if e.receive {
            s.port_mod_refs(n, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
        }
        if e.set {
            s.port_mod_refs(n, MACH_PORT_RIGHT_PORT_SET, -1).unwrap();
        }
    }
    let leaks = s.leaks();
    prop_assert!(leaks.is_empty(), "leaks: {:?}", leaks);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn space_agrees_with_the_model(ops in proptest::collection::vec(op(), 1..80)) {
        run(ops)?;
    }
}
