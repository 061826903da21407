// router_props: formal properties of the 16-entry router (`spinn_router`, exported to
// hdl/rtl/verilog/spinn_router_16.v), checked by verif/src/formal.rs. Read with
// `read_verilog -formal -sv`; the check selects one property group with a define:
//
//   PROP_VALID     an output's valid never falls, and its packet never changes, before it is taken
//   PROP_CONSERVE  a watched packet leaves on exactly its routed outputs (once each) or is dumped
//   PROP_WAIT      the wait counters bound the time to an emergency route and to a dump
//   PROP_COUNT     the diagnostic counters count every packet once
//   PROP_REACH     (with R1..R5) witnesses that the watched-packet assumptions are not vacuous
//
// Every property is observed at the router's ports. Only the lemmas L1, L2 (proof helpers,
// themselves proved) read two internal registers, through probes the Yosys script connects.
//
// The router's flip-flops are read without their power-up values (formal.rs strips the
// generated `initial` blocks), so every proof holds from any power-up state followed by one
// reset cycle. The MC and P2P tables' lookup results are cut to free inputs by the Yosys
// script (`expose -cut`), which over-approximates any table contents and writes.
//
// Common assumptions (all groups):
//   A1 reset is high in cycle 0 only; nothing is checked in cycle 0.
//   A2 the active inputs are links 0 and 1, core 0 and the re-injection port; every other input's
//      valid is low: two links, which the arbiter serves first and round robin, and the local
//      side. All 24 outputs are free.
//   A3 valid/ready protocol on the active inputs: a valid input stays valid, with the same packet
//      (and, for re-injection, the same source and route), until it is taken.
//   A4 every output's ready, the configuration port and the packets are otherwise free.
// Group-specific assumptions on the control register (wait times) are stated with each group.
//
// The watched packet (PROP_CONSERVE, PROP_WAIT, PROP_COUNT): the packet whose payload bit 31
// (bus bit 71) is set. At most one such packet is accepted (A5), at a cycle the solver chooses,
// with any number of untagged packets before and after it: the usual way of checking every packet
// by checking one arbitrary one. Its route is known to these properties without modelling the
// tables (A6): it is either re-injected with a non-zero `reinject_route` (which is then its
// route), or a fixed-route (FR) packet from core 0 (its route is the fixed-route register, as the
// properties shadow it from the configuration port, in the cycle after it is accepted: the
// lookup register's decision is made then and held).

`default_nettype none

module router_props (
    input wire clock,
    // Free inputs (the solver chooses them every cycle, subject to the assumptions).
    input wire [1:0] f_link_valid,
    input wire [143:0] f_link_packet,
    input wire f_core_valid,
    input wire [71:0] f_core_packet,
    input wire f_reinject_valid,
    input wire [71:0] f_reinject_packet,
    input wire [4:0] f_reinject_source,
    input wire [23:0] f_reinject_route,
    input wire [5:0] link_out_ready,
    input wire [17:0] core_out_ready,
    input wire cfg_write,
    input wire [2:0] cfg_target,
    input wire [15:0] cfg_index,
    input wire [31:0] cfg_key,
    input wire [31:0] cfg_mask,
    input wire [31:0] cfg_data
);
    // ---------------------------------------------------------------- the router
    reg [3:0] cycle = 4'd0;  // saturates at 15
    wire reset = cycle == 4'd0;
    wire live = cycle != 4'd0;
    always @(posedge clock) if (cycle != 4'd15) cycle <= cycle + 4'd1;

    wire [5:0] link_in_valid = {4'b0, f_link_valid};
    wire [431:0] link_in_packet = {288'b0, f_link_packet};
    wire [17:0] core_in_valid = {17'b0, f_core_valid};
    wire [1295:0] core_in_packet = {1224'b0, f_core_packet};
    wire [5:0] link_in_ready;
    wire [17:0] core_in_ready;
    wire reinject_ready;
    wire [5:0] link_out_valid;
    wire [431:0] link_out_packet;
    wire [17:0] core_out_valid;
    wire [71:0] core_out_packet;
    wire [15:0] dump_header;
    wire [31:0] dump_key;
    wire [31:0] dump_payload;
    wire [23:0] dump_outputs;
    wire [31:0] dump_status;
    wire dump_interrupt;
    wire [383:0] count;
    wire output_stage_empty;

    router_vec dut (
        .clock(clock), .reset(reset),
        .link_in_valid(link_in_valid), .link_in_ready(link_in_ready),
        .link_in_packet(link_in_packet),
        .core_in_valid(core_in_valid), .core_in_ready(core_in_ready),
        .core_in_packet(core_in_packet),
        .reinject_valid(f_reinject_valid), .reinject_ready(reinject_ready),
        .reinject_packet(f_reinject_packet), .reinject_source(f_reinject_source),
        .reinject_route(f_reinject_route),
        .link_out_valid(link_out_valid), .link_out_ready(link_out_ready),
        .link_out_packet(link_out_packet),
        .core_out_valid(core_out_valid), .core_out_ready(core_out_ready),
        .core_out_packet(core_out_packet),
        .cfg_write(cfg_write), .cfg_target(cfg_target), .cfg_index(cfg_index),
        .cfg_key(cfg_key), .cfg_mask(cfg_mask), .cfg_data(cfg_data),
        .dump_header(dump_header), .dump_key(dump_key), .dump_payload(dump_payload),
        .dump_outputs(dump_outputs), .dump_status(dump_status),
        .dump_interrupt(dump_interrupt),
        .count(count), .output_stage_empty(output_stage_empty)
    );

    // ---------------------------------------------------------------- A3: input protocol
    reg [1:0] p_link_valid = 2'b0, p_link_ready = 2'b0;
    reg [143:0] p_link_packet = 144'b0;
    reg p_core_valid = 1'b0, p_core_ready = 1'b0;
    reg [71:0] p_core_packet = 72'b0;
    reg p_re_valid = 1'b0, p_re_ready = 1'b0;
    reg [71:0] p_re_packet = 72'b0;
    reg [4:0] p_re_source = 5'b0;
    reg [23:0] p_re_route = 24'b0;
    always @(posedge clock) begin
        p_link_valid <= f_link_valid & {2{live}};
        p_link_ready <= link_in_ready[1:0];
        p_link_packet <= f_link_packet;
        p_core_valid <= f_core_valid & live;
        p_core_ready <= core_in_ready[0];
        p_core_packet <= f_core_packet;
        p_re_valid <= f_reinject_valid & live;
        p_re_ready <= reinject_ready;
        p_re_packet <= f_reinject_packet;
        p_re_source <= f_reinject_source;
        p_re_route <= f_reinject_route;
    end
    always @* begin
        if (p_link_valid[0] && !p_link_ready[0])
            assume(f_link_valid[0] && f_link_packet[71:0] == p_link_packet[71:0]);
        if (p_link_valid[1] && !p_link_ready[1])
            assume(f_link_valid[1] && f_link_packet[143:72] == p_link_packet[143:72]);
        if (p_core_valid && !p_core_ready)
            assume(f_core_valid && f_core_packet == p_core_packet);
        if (p_re_valid && !p_re_ready)
            assume(f_reinject_valid && f_reinject_packet == p_re_packet
                   && f_reinject_source == p_re_source && f_reinject_route == p_re_route);
    end

    // Transfers this cycle (never in the reset cycle).
    wire [1:0] link_take = f_link_valid & link_in_ready[1:0] & {2{live}};
    wire core_take = f_core_valid & core_in_ready[0] & live;
    wire re_take = f_reinject_valid & reinject_ready & live;
    wire accept = |link_take | core_take | re_take;
    wire [71:0] accepted_packet =
        link_take[0] ? f_link_packet[71:0] :
        link_take[1] ? f_link_packet[143:72] :
        core_take ? f_core_packet : f_reinject_packet;

    wire [23:0] out_valid = {core_out_valid, link_out_valid};
    wire [23:0] out_ready = {core_out_ready, link_out_ready};
    wire [23:0] out_take = out_valid & out_ready & {24{live}};

    // ---------------------------------------------------------------- counter increments
    // `delta[k]`: counter k goes up this cycle (seen as its value next cycle).
    reg [383:0] p_count = 384'b0;
    always @(posedge clock) p_count <= count;
    reg [11:0] step;  // counter k changed by exactly +1 since the previous cycle
    reg [11:0] moved; // counter k changed at all
    integer k;
    always @* begin
        for (k = 0; k < 12; k = k + 1) begin
            step[k] = count[32*k +: 32] == p_count[32*k +: 32] + 32'd1;
            moved[k] = count[32*k +: 32] != p_count[32*k +: 32];
        end
    end
    // Increments made at the end of the previous cycle, i.e. by that cycle's events.
    reg [3:0] p_cycle = 4'd0;
    always @(posedge clock) p_cycle <= cycle;
    wire counted = p_cycle != 4'd0 && cycle != 4'd0;  // `step` describes the previous cycle
    // Lookup-stage counters: the type counters (0..4) and the parity error counter (9): every
    // packet leaving the lookup register increments exactly one of them.
    localparam [11:0] LOOKUP_ONE = 12'h21f;
    localparam [11:0] LOOKUP_ALL = 12'h39f;  // with default-routed (7) and unroutable (8)

    // ---------------------------------------------------------------- control register
    // Shadow of the control and fixed-route registers, from the configuration port.
    reg [31:0] s_control = 32'h0040_0000;
    reg [23:0] s_fixed_route = 24'h0;
    always @(posedge clock) begin
        if (reset) begin
            s_control <= 32'h0040_0000;  // RouterControl::SCAMP_BOOT
            s_fixed_route <= 24'h0;
        end else begin
            if (cfg_write && cfg_target == 3'd1) s_control <= cfg_data;
            if (cfg_write && cfg_target == 3'd3) s_fixed_route <= cfg_data[23:0];
        end
    end
    wire control_write = cfg_write && cfg_target == 3'd1;
    // Lemmas, for the inductive proofs: the router's control and fixed-route registers are the
    // shadows above from cycle 1. `probe_control` and `probe_fixed_route` are connected to those
    // router registers by the Yosys script (`connect -set` after `flatten`): proof helpers that
    // are themselves proved, not properties. (Without them an induction may start from a state
    // whose control register the configuration port could never have written.)
    wire [31:0] probe_control;
    wire [23:0] probe_fixed_route;
    always @* begin
        if (live) begin
            // L1
            assert(probe_control == s_control);
            // L2
            assert(probe_fixed_route == s_fixed_route);
        end
    end

    wire [7:0] wait1 = s_control[23:16];
    wire [7:0] wait2 = s_control[31:24];

`ifdef PROP_VALID
    // ================================================================ PROP_VALID
    // V1: once an output is valid and not ready, it is valid in the next cycle.
    // V2: ... and shows the same packet (a link its own packet bus; a core the shared core bus).
    // Assumption V-A: the wait times never expire: cycle 1 writes the control register, and every
    // control write sets wait1 = wait2 = 0xFF. (With finite waits a valid output is withdrawn
    // when its wait phase expires, which is the emergency route or the dump: PROP_WAIT and
    // PROP_CONSERVE cover those.) Table, P2P, fixed-route and dump-clear writes stay free, at any
    // time: a write must not withdraw an offer.
    always @* begin
        if (cycle == 4'd1) assume(control_write);
        if (control_write) assume(cfg_data[31:16] == 16'hffff);
    end
    // L3 (a lemma): from cycle 2 the waits are the never-expiring ones.
    always @* if (cycle >= 4'd2) assert(s_control[31:16] == 16'hffff);
    reg [23:0] p_out_valid = 24'b0, p_out_ready = 24'b0;
    reg [431:0] p_link_out_packet = 432'b0;
    reg [71:0] p_core_out_packet = 72'b0;
    always @(posedge clock) begin
        p_out_valid <= out_valid & {24{live}};
        p_out_ready <= out_ready;
        p_link_out_packet <= link_out_packet;
        p_core_out_packet <= core_out_packet;
    end
    integer o;
    always @* begin
        if (cycle >= 4'd2) begin
            for (o = 0; o < 24; o = o + 1)
                // V1: valid held.
                if (p_out_valid[o] && !p_out_ready[o]) assert(out_valid[o]);
            // V2: a valid, unready output's packet is held.
            for (o = 0; o < 6; o = o + 1)
                if (p_out_valid[o] && !p_out_ready[o])
                    assert(link_out_packet[72*o +: 72] == p_link_out_packet[72*o +: 72]);
            if (|(p_out_valid[23:6] & ~p_out_ready[23:6]))
                assert(core_out_packet == p_core_out_packet);
        end
    end
`else
    // ================================================================ the watched packet
    // Assumption W-A: the wait times are small and fixed: cycle 1 writes the control register with
    // wait1 and wait2 of exponent 0 and mantissa at most `MAX_WAIT`, so each wait phase's limit is
    // its mantissa, L1 and L2 (a phase expires after L + 1 blocked cycles), and the control
    // register is not written again. The tables, the fixed-route register and the dump status
    // stay free to be written at any time.
`ifndef MAX_WAIT
`define MAX_WAIT 1
`endif
    always @* begin
        if (cycle == 4'd1) assume(control_write);
        if (control_write)
            assume(cycle == 4'd1 && cfg_data[31:28] == 4'd0 && cfg_data[23:20] == 4'd0
                   && cfg_data[27:24] <= `MAX_WAIT && cfg_data[19:16] <= `MAX_WAIT);
    end
    // L4 (a lemma): from cycle 2 the waits are the configured ones.
    always @* if (cycle >= 4'd2)
        assert(wait1[7:4] == 4'd0 && wait2[7:4] == 4'd0
               && wait1[3:0] <= `MAX_WAIT && wait2[3:0] <= `MAX_WAIT);
    wire [5:0] limit1 = {2'b0, wait1[3:0]};
    wire [5:0] limit2 = {2'b0, wait2[3:0]};

    // A5, A6: at most one tagged packet is accepted, and it is re-injected with a route or is an
    // FR packet from core 0.
    wire tagged = accepted_packet[71];
    wire from_core_fr = core_take && f_core_packet[7:6] == 2'b11;
    wire from_reinject = re_take && f_reinject_route != 24'b0;
    reg tp_seen = 1'b0;
    reg tp_core = 1'b0;          // it came from core 0 (else from re-injection)
    reg [71:0] tp_packet = 72'b0;
    reg [4:0] tp_source = 5'b0;
    reg [23:0] tp_override = 24'b0;
    always @* if (accept && tagged) assume(!tp_seen && (from_core_fr || from_reinject));
    always @(posedge clock) begin
        if (accept && tagged) begin
            tp_seen <= 1'b1;
            tp_core <= from_core_fr;
            tp_packet <= accepted_packet;
            tp_source <= from_core_fr ? 5'd6 : f_reinject_source;
            tp_override <= f_reinject_route;
        end
    end
    wire [1:0] t_kind = tp_packet[7:6];
    wire t_mc_fr = t_kind == 2'b00 || t_kind == 2'b11;
    // Emergency routing applies to MC and FR packets, except a re-injected one restoring the
    // last leg of an emergency route (ER = 3).
    wire t_can_detour = t_mc_fr && (tp_core || tp_packet[5:4] != 2'b11);
    // The counter that counts the watched packet by type (spinn_arch::Counter order).
    wire [3:0] t_type =
        t_kind == 2'b11 ? 4'd4 : t_kind == 2'b01 ? 4'd2 : t_kind == 2'b10 ? 4'd3 :
        tp_source < 5'd6 ? 4'd1 : 4'd0;

    // Copies of the watched packet taken this cycle, told apart by the tag. An emergency copy is
    // a link copy of an MC or FR packet with ER = 2 (normal copies of MC and FR packets carry
    // ER 0, or 3 on a restored last leg; other types are sent unchanged and never detoured).
    reg [23:0] c_copy, c_intact;
    reg [5:0] c_emergency;
    integer o;
    always @* begin
        for (o = 0; o < 6; o = o + 1) begin
            c_copy[o] = out_take[o] && link_out_packet[72*o + 71];
            c_emergency[o] = c_copy[o] && t_mc_fr && link_out_packet[72*o + 4 +: 2] == 2'b10;
            c_intact[o] = link_out_packet[72*o + 8 +: 64] == tp_packet[71:8]
                          && link_out_packet[72*o + 6 +: 2] == t_kind;
        end
        for (o = 6; o < 24; o = o + 1) begin
            c_copy[o] = out_take[o] && core_out_packet[71];
            c_intact[o] = core_out_packet[71:8] == tp_packet[71:8]
                          && core_out_packet[7:6] == t_kind;
        end
    end

    // The counters show a cycle's events in the next cycle, so the watched packet's life is
    // followed one cycle behind the router: in cycle t the `d_` registers hold what the ports
    // showed in cycle t - 1, `step` the counter increments that cycle made, and the dump
    // registers what a dump in it recorded.
    reg d_live = 1'b0, d_accept = 1'b0, d_accept_tagged = 1'b0;
    reg [23:0] d_copy = 24'b0, d_intact = 24'b0;
    reg [5:0] d_emergency = 6'b0;
    reg [23:0] d_fixed_route = 24'b0;
    reg d_dump_clear = 1'b0, d_dump_full = 1'b0;
    always @(posedge clock) begin
        d_live <= live;
        d_accept <= accept;
        d_accept_tagged <= accept && tagged;
        d_copy <= c_copy;
        d_intact <= c_intact;
        d_emergency <= c_emergency;
        d_fixed_route <= s_fixed_route;
        d_dump_clear <= cfg_write && cfg_target == 3'd4;
        d_dump_full <= dump_status[31];
    end
    wire [5:0] d_normal_links = d_copy[5:0] & ~d_emergency;
    wire [23:0] d_normal = {d_copy[23:6], d_normal_links};
    // rotate(d) = (d + 5) mod 6 (the exported router is built clockwise): an emergency copy on
    // link e stands in for the blocked link (e + 1) mod 6.
    wire [5:0] d_emergency_for = {d_emergency[4:0], d_emergency[5]};
    wire lookup_event = |(step & LOOKUP_ONE);
    wire dump_event = step[5] || step[6];

    localparam T_NONE = 2'd0, T_LOOKUP = 2'd1, T_STAGE = 2'd2, T_GONE = 2'd3;
    reg [1:0] t_state = T_NONE;   // where the packet was in cycle t - 1
    reg t_fresh = 1'b0;           // t - 1 was its first cycle in the lookup register
    reg [23:0] t_route_reg = 24'b0;
    reg [23:0] t_taken = 24'b0;   // outputs that took a normal copy
    reg [5:0] t_detoured = 6'b0;  // links that took an emergency copy
    reg [5:0] t_age = 6'b0;       // cycles in the state, counting t - 1 (from 1)
    reg t_rerouted = 1'b0;        // its emergency route has been counted
    // Its route: decided in its first lookup cycle, from the fixed-route register as it was then
    // (FR from core 0), or the re-injection route.
    wire [23:0] t_route = t_fresh ? d_fixed_route : t_route_reg;
    wire t_live = t_state == T_LOOKUP || t_state == T_STAGE;
    wire [23:0] t_delivered = t_taken | {18'b0, t_detoured[4:0], t_detoured[5]};
    wire [23:0] t_owed = t_route & ~t_delivered;  // before cycle t - 1's transfers
    wire [23:0] t_owed_next = t_owed & ~d_normal & ~{18'b0, d_emergency_for};
    wire t_lookup = t_state == T_LOOKUP && lookup_event;  // its lookup was in cycle t - 1
    wire t_dropped = t_lookup && (step[9] || step[8]);
    wire t_dump = t_state == T_STAGE && dump_event;       // it was dumped in cycle t - 1
    wire t_overflow = t_dump && step[11];
    wire [5:0] stage_bound = limit1 + limit2 + 6'd2;

    always @(posedge clock) begin
        t_fresh <= 1'b0;
        if (t_age != 6'd63) t_age <= t_age + 6'd1;
        if (d_live && d_accept_tagged) begin
            t_state <= T_LOOKUP;
            t_fresh <= tp_core;
            t_route_reg <= tp_override;
            t_taken <= 24'b0;
            t_detoured <= 6'b0;
            t_rerouted <= 1'b0;
            t_age <= 6'd1;
        end else if (t_live) begin
            if (t_state == T_STAGE && step[10]) t_rerouted <= 1'b1;
            if (t_fresh) t_route_reg <= d_fixed_route;
            t_taken <= t_taken | d_normal;
            t_detoured <= t_detoured | d_emergency;
            if (t_lookup) begin
                t_state <= t_dropped || t_owed_next == 24'b0 ? T_GONE : T_STAGE;
                t_age <= 6'd1;
            end else if (t_state == T_STAGE && (t_dump || t_owed_next == 24'b0)) begin
                t_state <= T_GONE;
            end
        end
    end
    wire checking = d_live && counted;

`ifdef PROP_REACH
    // ================================================================ PROP_REACH
    // Not a property: witnesses that the assumptions leave the interesting cases reachable (a
    // vacuous set of assumptions would prove anything). Each of these "asserts" is expected to
    // fail, and the counterexample is the witness: the watched packet taken early from the
    // lookup register (R1), sent on an emergency route (R2), dumped (R3), dumped into full dump
    // registers (R4), dropped for bad parity (R5).
    always @* begin
        if (checking) begin
`ifdef R1
            // R1: never taken early from the lookup register (expected to fail).
            assert(!(t_state == T_LOOKUP && d_copy != 24'b0));
`endif
`ifdef R2
            // R2: never an emergency copy taken (expected to fail).
            assert(!(t_state == T_STAGE && d_emergency != 6'b0));
`endif
`ifdef R3
            // R3: never dumped (expected to fail).
            assert(!(t_dump && !t_overflow));
`endif
`ifdef R4
            // R4: never dumped into full dump registers (expected to fail).
            assert(!t_overflow);
`endif
`ifdef R5
            // R5: never dropped for bad parity (expected to fail).
            assert(!t_dropped);
`endif
        end
    end
`endif

`ifdef PROP_CONSERVE
    // ================================================================ PROP_CONSERVE
    // Assumptions: A1-A6, W-A (the stage bound below needs finite waits).
    integer c;
    always @* begin
        if (checking) begin
            // C1: no copy of it is taken before it is accepted or after it is gone (dropped,
            //     dumped or delivered everywhere).
            if (!t_live) assert(d_copy == 24'b0);
            if (t_live) begin
                for (c = 0; c < 24; c = c + 1) begin
                    // C2: each normal copy goes to an output of its route that has not had it,
                    //     by its normal or its emergency route (so never twice), intact.
                    if (d_normal[c]) assert(t_owed[c] && d_intact[c]);
                end
                for (c = 0; c < 6; c = c + 1) begin
                    // C3: an emergency copy goes out only from the output stage, after its
                    //     emergency route was counted, on the link after a blocked link of its
                    //     route that has had no copy, intact.
                    if (d_emergency[c])
                        assert(t_state == T_STAGE && t_rerouted && t_owed[(c + 1) % 6]
                               && d_intact[c]);
                end
            end
            // C4: a dropped packet (bad parity) was never sent anywhere.
            if (t_dropped) assert(t_taken == 24'b0 && d_copy == 24'b0);
            // C5: a dump is of a packet some route outputs never took, and the dump registers
            //     then hold it, with exactly those outputs (normal-route terms); or, if they
            //     were full and not cleared, the overflow is flagged.
            if (t_dump) begin
                assert(t_owed_next != 24'b0);
                if (t_overflow) begin
                    assert(dump_status[30] && d_dump_full && !d_dump_clear);
                end else begin
                    assert(dump_status[31] && dump_outputs == t_owed_next);
                    assert(dump_key == tp_packet[39:8] && dump_payload == tp_packet[71:40]);
                    assert(dump_header[7:6] == t_kind);
                end
            end
            // C6: never lost silently: once in the output stage it is delivered everywhere
            //     or dumped within L1 + L2 + 2 cycles.
            if (t_state == T_STAGE && t_age >= stage_bound)
                assert(t_dump || t_owed_next == 24'b0);
        end
    end
`endif

`ifdef PROP_WAIT
    // ================================================================ PROP_WAIT
    // Assumptions: A1-A6, W-A.
    always @* begin
        if (checking) begin
            // W1: in the lookup register it waits at most L1 + L2 + 2 cycles (the time the
            //     stage's packet can wait).
            if (t_state == T_LOOKUP && t_age >= stage_bound) assert(t_lookup);
            // W2: the emergency route is taken exactly when wait1 expires: in its (L1 + 1)-th
            //     cycle in the stage, if some link of its route is still blocked and it is an
            //     MC or FR packet not on a restored last leg; at no other time.
            if (t_state == T_STAGE)
                assert(step[10] == (t_age == limit1 + 6'd1 && t_can_detour
                                    && t_owed_next[5:0] != 6'b0));
            // W3: the dump happens exactly when wait2 expires, in its (L1 + L2 + 2)-th cycle in
            //     the stage, if it is still blocked then; never earlier.
            if (t_state == T_STAGE)
                assert(t_dump == (t_age == stage_bound && t_owed_next != 24'b0));
        end
    end
`endif

`ifdef PROP_COUNT
    // ================================================================ PROP_COUNT
    // Assumptions: A1-A6, W-A.
    reg inlk = 1'b0;  // a packet accepted and not yet counted at lookup
    always @(posedge clock) begin
        if (!live) inlk <= 1'b0;
        else if (checking) inlk <= (inlk && !lookup_event) || d_accept;
    end
    integer n;
    always @* begin
        // K1: the counters read zero after reset, and only ever go up by one at a time.
        if (cycle == 4'd1) assert(count == 384'b0);
        if (counted) assert(moved == step);
        if (checking) begin
            // K2: each packet leaving the lookup register increments exactly one of the type
            //     counters and the parity error counter; none does so with the register empty,
            //     and no packet is accepted into a full register that is not advancing.
            assert((step & LOOKUP_ONE) == 12'b0 || $onehot(step & LOOKUP_ONE));
            if (lookup_event) assert(inlk);
            if (d_accept && inlk) assert(lookup_event);
            // K3: the watched packet is counted once by its type (or as a parity error), and
            //     as nothing else at lookup (it is routed without a table lookup).
            if (t_lookup)
                assert((step & LOOKUP_ALL) == (12'b1 << t_type) || (step & LOOKUP_ALL) == 12'h200);
            // K4: its dump is counted once, as MC or other by type; an overflow also as such.
            if (t_dump) assert(step[5] == (t_kind == 2'b00) && step[6] == (t_kind != 2'b00));
            if (t_dump) assert(step[11] == (d_dump_full && !d_dump_clear));
        end
    end
`endif
`endif
endmodule
