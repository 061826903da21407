

module spinn_router(clock,reset,link_in_valid$0,link_in_valid$1,link_in_valid$2,link_in_valid$3,link_in_valid$4,link_in_valid$5,link_in_ready$0,link_in_ready$1,link_in_ready$2,link_in_ready$3,link_in_ready$4,link_in_ready$5,link_in_packet$0,link_in_packet$1,link_in_packet$2,link_in_packet$3,link_in_packet$4,link_in_packet$5,core_in_valid$0,core_in_valid$1,core_in_valid$2,core_in_valid$3,core_in_valid$4,core_in_valid$5,core_in_valid$6,core_in_valid$7,core_in_valid$8,core_in_valid$9,core_in_valid$10,core_in_valid$11,core_in_valid$12,core_in_valid$13,core_in_valid$14,core_in_valid$15,core_in_valid$16,core_in_valid$17,core_in_ready$0,core_in_ready$1,core_in_ready$2,core_in_ready$3,core_in_ready$4,core_in_ready$5,core_in_ready$6,core_in_ready$7,core_in_ready$8,core_in_ready$9,core_in_ready$10,core_in_ready$11,core_in_ready$12,core_in_ready$13,core_in_ready$14,core_in_ready$15,core_in_ready$16,core_in_ready$17,core_in_packet$0,core_in_packet$1,core_in_packet$2,core_in_packet$3,core_in_packet$4,core_in_packet$5,core_in_packet$6,core_in_packet$7,core_in_packet$8,core_in_packet$9,core_in_packet$10,core_in_packet$11,core_in_packet$12,core_in_packet$13,core_in_packet$14,core_in_packet$15,core_in_packet$16,core_in_packet$17,reinject_valid,reinject_ready,reinject_packet,reinject_source,reinject_route,link_out_valid$0,link_out_valid$1,link_out_valid$2,link_out_valid$3,link_out_valid$4,link_out_valid$5,link_out_ready$0,link_out_ready$1,link_out_ready$2,link_out_ready$3,link_out_ready$4,link_out_ready$5,link_out_packet$0,link_out_packet$1,link_out_packet$2,link_out_packet$3,link_out_packet$4,link_out_packet$5,core_out_valid$0,core_out_valid$1,core_out_valid$2,core_out_valid$3,core_out_valid$4,core_out_valid$5,core_out_valid$6,core_out_valid$7,core_out_valid$8,core_out_valid$9,core_out_valid$10,core_out_valid$11,core_out_valid$12,core_out_valid$13,core_out_valid$14,core_out_valid$15,core_out_valid$16,core_out_valid$17,core_out_ready$0,core_out_ready$1,core_out_ready$2,core_out_ready$3,core_out_ready$4,core_out_ready$5,core_out_ready$6,core_out_ready$7,core_out_ready$8,core_out_ready$9,core_out_ready$10,core_out_ready$11,core_out_ready$12,core_out_ready$13,core_out_ready$14,core_out_ready$15,core_out_ready$16,core_out_ready$17,core_out_packet,cfg_write,cfg_target,cfg_index,cfg_key,cfg_mask,cfg_data,dump_header,dump_key,dump_payload,dump_outputs,dump_status,dump_interrupt,count$0,count$1,count$2,count$3,count$4,count$5,count$6,count$7,count$8,count$9,count$10,count$11,output_stage_empty);
    
    // Module arguments
    input wire  clock;
    input wire  reset;
    input wire  link_in_valid$0;
    input wire  link_in_valid$1;
    input wire  link_in_valid$2;
    input wire  link_in_valid$3;
    input wire  link_in_valid$4;
    input wire  link_in_valid$5;
    output reg  link_in_ready$0;
    output reg  link_in_ready$1;
    output reg  link_in_ready$2;
    output reg  link_in_ready$3;
    output reg  link_in_ready$4;
    output reg  link_in_ready$5;
    input wire  [71:0] link_in_packet$0;
    input wire  [71:0] link_in_packet$1;
    input wire  [71:0] link_in_packet$2;
    input wire  [71:0] link_in_packet$3;
    input wire  [71:0] link_in_packet$4;
    input wire  [71:0] link_in_packet$5;
    input wire  core_in_valid$0;
    input wire  core_in_valid$1;
    input wire  core_in_valid$2;
    input wire  core_in_valid$3;
    input wire  core_in_valid$4;
    input wire  core_in_valid$5;
    input wire  core_in_valid$6;
    input wire  core_in_valid$7;
    input wire  core_in_valid$8;
    input wire  core_in_valid$9;
    input wire  core_in_valid$10;
    input wire  core_in_valid$11;
    input wire  core_in_valid$12;
    input wire  core_in_valid$13;
    input wire  core_in_valid$14;
    input wire  core_in_valid$15;
    input wire  core_in_valid$16;
    input wire  core_in_valid$17;
    output reg  core_in_ready$0;
    output reg  core_in_ready$1;
    output reg  core_in_ready$2;
    output reg  core_in_ready$3;
    output reg  core_in_ready$4;
    output reg  core_in_ready$5;
    output reg  core_in_ready$6;
    output reg  core_in_ready$7;
    output reg  core_in_ready$8;
    output reg  core_in_ready$9;
    output reg  core_in_ready$10;
    output reg  core_in_ready$11;
    output reg  core_in_ready$12;
    output reg  core_in_ready$13;
    output reg  core_in_ready$14;
    output reg  core_in_ready$15;
    output reg  core_in_ready$16;
    output reg  core_in_ready$17;
    input wire  [71:0] core_in_packet$0;
    input wire  [71:0] core_in_packet$1;
    input wire  [71:0] core_in_packet$2;
    input wire  [71:0] core_in_packet$3;
    input wire  [71:0] core_in_packet$4;
    input wire  [71:0] core_in_packet$5;
    input wire  [71:0] core_in_packet$6;
    input wire  [71:0] core_in_packet$7;
    input wire  [71:0] core_in_packet$8;
    input wire  [71:0] core_in_packet$9;
    input wire  [71:0] core_in_packet$10;
    input wire  [71:0] core_in_packet$11;
    input wire  [71:0] core_in_packet$12;
    input wire  [71:0] core_in_packet$13;
    input wire  [71:0] core_in_packet$14;
    input wire  [71:0] core_in_packet$15;
    input wire  [71:0] core_in_packet$16;
    input wire  [71:0] core_in_packet$17;
    input wire  reinject_valid;
    output reg  reinject_ready;
    input wire  [71:0] reinject_packet;
    input wire  [4:0] reinject_source;
    input wire  [23:0] reinject_route;
    output reg  link_out_valid$0;
    output reg  link_out_valid$1;
    output reg  link_out_valid$2;
    output reg  link_out_valid$3;
    output reg  link_out_valid$4;
    output reg  link_out_valid$5;
    input wire  link_out_ready$0;
    input wire  link_out_ready$1;
    input wire  link_out_ready$2;
    input wire  link_out_ready$3;
    input wire  link_out_ready$4;
    input wire  link_out_ready$5;
    output reg  [71:0] link_out_packet$0;
    output reg  [71:0] link_out_packet$1;
    output reg  [71:0] link_out_packet$2;
    output reg  [71:0] link_out_packet$3;
    output reg  [71:0] link_out_packet$4;
    output reg  [71:0] link_out_packet$5;
    output reg  core_out_valid$0;
    output reg  core_out_valid$1;
    output reg  core_out_valid$2;
    output reg  core_out_valid$3;
    output reg  core_out_valid$4;
    output reg  core_out_valid$5;
    output reg  core_out_valid$6;
    output reg  core_out_valid$7;
    output reg  core_out_valid$8;
    output reg  core_out_valid$9;
    output reg  core_out_valid$10;
    output reg  core_out_valid$11;
    output reg  core_out_valid$12;
    output reg  core_out_valid$13;
    output reg  core_out_valid$14;
    output reg  core_out_valid$15;
    output reg  core_out_valid$16;
    output reg  core_out_valid$17;
    input wire  core_out_ready$0;
    input wire  core_out_ready$1;
    input wire  core_out_ready$2;
    input wire  core_out_ready$3;
    input wire  core_out_ready$4;
    input wire  core_out_ready$5;
    input wire  core_out_ready$6;
    input wire  core_out_ready$7;
    input wire  core_out_ready$8;
    input wire  core_out_ready$9;
    input wire  core_out_ready$10;
    input wire  core_out_ready$11;
    input wire  core_out_ready$12;
    input wire  core_out_ready$13;
    input wire  core_out_ready$14;
    input wire  core_out_ready$15;
    input wire  core_out_ready$16;
    input wire  core_out_ready$17;
    output reg  [71:0] core_out_packet;
    input wire  cfg_write;
    input wire  [2:0] cfg_target;
    input wire  [15:0] cfg_index;
    input wire  [31:0] cfg_key;
    input wire  [31:0] cfg_mask;
    input wire  [31:0] cfg_data;
    output reg  [15:0] dump_header;
    output reg  [31:0] dump_key;
    output reg  [31:0] dump_payload;
    output reg  [23:0] dump_outputs;
    output reg  [31:0] dump_status;
    output reg  dump_interrupt;
    output reg  [31:0] count$0;
    output reg  [31:0] count$1;
    output reg  [31:0] count$2;
    output reg  [31:0] count$3;
    output reg  [31:0] count$4;
    output reg  [31:0] count$5;
    output reg  [31:0] count$6;
    output reg  [31:0] count$7;
    output reg  [31:0] count$8;
    output reg  [31:0] count$9;
    output reg  [31:0] count$10;
    output reg  [31:0] count$11;
    output reg  output_stage_empty;
    
    // Constant declarations
    localparam  boot_control = 32'h400000;
    localparam  target_mc = 3'b0;
    localparam  target_control = 3'b1;
    localparam  target_p2p = 3'b10;
    localparam  target_fixed_route = 3'b11;
    localparam  target_dump_clear = 3'b100;
    localparam  link_and_core_inputs = 25'hffffff;
    localparam  no_packet = 72'h0;
    localparam  no_outputs = 24'h0;
    localparam  output_bit$0 = 24'h1;
    localparam  output_bit$1 = 24'h2;
    localparam  output_bit$2 = 24'h4;
    localparam  output_bit$3 = 24'h8;
    localparam  output_bit$4 = 24'h10;
    localparam  output_bit$5 = 24'h20;
    localparam  output_bit$6 = 24'h40;
    localparam  output_bit$7 = 24'h80;
    localparam  output_bit$8 = 24'h100;
    localparam  output_bit$9 = 24'h200;
    localparam  output_bit$10 = 24'h400;
    localparam  output_bit$11 = 24'h800;
    localparam  output_bit$12 = 24'h1000;
    localparam  output_bit$13 = 24'h2000;
    localparam  output_bit$14 = 24'h4000;
    localparam  output_bit$15 = 24'h8000;
    localparam  output_bit$16 = 24'h10000;
    localparam  output_bit$17 = 24'h20000;
    localparam  output_bit$18 = 24'h40000;
    localparam  output_bit$19 = 24'h80000;
    localparam  output_bit$20 = 24'h100000;
    localparam  output_bit$21 = 24'h200000;
    localparam  output_bit$22 = 24'h400000;
    localparam  output_bit$23 = 24'h800000;
    localparam  link_outputs = 24'h3f;
    localparam  core_outputs = 24'hffffc0;
    localparam  mark_last_hop = 72'h30;
    
    // Stub signals
    reg  arbiter$clock;
    reg  arbiter$reset;
    reg  arbiter$request$0;
    reg  arbiter$request$1;
    reg  arbiter$request$2;
    reg  arbiter$request$3;
    reg  arbiter$request$4;
    reg  arbiter$request$5;
    reg  arbiter$request$6;
    reg  arbiter$request$7;
    reg  arbiter$request$8;
    reg  arbiter$request$9;
    reg  arbiter$request$10;
    reg  arbiter$request$11;
    reg  arbiter$request$12;
    reg  arbiter$request$13;
    reg  arbiter$request$14;
    reg  arbiter$request$15;
    reg  arbiter$request$16;
    reg  arbiter$request$17;
    reg  arbiter$request$18;
    reg  arbiter$request$19;
    reg  arbiter$request$20;
    reg  arbiter$request$21;
    reg  arbiter$request$22;
    reg  arbiter$request$23;
    reg  arbiter$request$24;
    reg  arbiter$advance;
    wire  arbiter$grant_valid;
    wire  [4:0] arbiter$grant;
    wire  [24:0] arbiter$grant_one_hot;
    reg  mc_table$clock;
    reg  mc_table$write_enable;
    reg  [15:0] mc_table$write_index;
    reg  [31:0] mc_table$write_key;
    reg  [31:0] mc_table$write_mask;
    reg  [23:0] mc_table$write_route;
    reg  mc_table$reset;
    reg  mc_table$lookup_valid;
    reg  [31:0] mc_table$lookup_key;
    reg  mc_table$result_taken;
    wire  mc_table$result_valid;
    wire  mc_table$hit;
    wire  [23:0] mc_table$route;
    reg  p2p$clock;
    reg  p2p$write_enable;
    reg  [15:0] p2p$write_index;
    reg  [2:0] p2p$write_code;
    reg  [15:0] p2p$read_chip;
    wire  [2:0] p2p$read_code;
    reg  [71:0] decision$packet;
    reg  [4:0] decision$source;
    reg  decision$table_hit;
    reg  [23:0] decision$table_route;
    reg  [2:0] decision$p2p_code;
    reg  [23:0] decision$fr_route;
    reg  [4:0] decision$monitor;
    reg  [23:0] decision$override_route;
    wire  decision$drop;
    wire  [23:0] decision$route;
    wire  [5:0] decision$er_last;
    wire  [71:0] decision$out_packet;
    wire  [11:0] decision$counts;
    reg  stage$clock;
    reg  stage$reset;
    reg  stage$in_valid;
    wire  stage$in_ready;
    reg  [71:0] stage$in_packet;
    reg  [4:0] stage$in_source;
    reg  [23:0] stage$in_route;
    reg  [5:0] stage$in_er_last;
    reg  [7:0] stage$wait1;
    reg  [7:0] stage$wait2;
    reg  [7:0] stage$wait1_next;
    reg  [7:0] stage$wait2_next;
    wire  [23:0] stage$out_valid;
    reg  [23:0] stage$out_ready;
    wire  [71:0] stage$link_packet$0;
    wire  [71:0] stage$link_packet$1;
    wire  [71:0] stage$link_packet$2;
    wire  [71:0] stage$link_packet$3;
    wire  [71:0] stage$link_packet$4;
    wire  [71:0] stage$link_packet$5;
    wire  [71:0] stage$core_packet;
    reg  stage$dump_clear;
    wire  [15:0] stage$dump_header;
    wire  [31:0] stage$dump_key;
    wire  [31:0] stage$dump_payload;
    wire  [23:0] stage$dump_outputs;
    wire  [31:0] stage$dump_status;
    wire  [11:0] stage$events;
    wire  stage$busy;
    reg  counters$clock;
    reg  counters$reset;
    reg  [11:0] counters$increment;
    wire  [31:0] counters$count$0;
    wire  [31:0] counters$count$1;
    wire  [31:0] counters$count$2;
    wire  [31:0] counters$count$3;
    wire  [31:0] counters$count$4;
    wire  [31:0] counters$count$5;
    wire  [31:0] counters$count$6;
    wire  [31:0] counters$count$7;
    wire  [31:0] counters$count$8;
    wire  [31:0] counters$count$9;
    wire  [31:0] counters$count$10;
    wire  [31:0] counters$count$11;
    reg  [31:0] control$d;
    wire  [31:0] control$q;
    reg  control$clock;
    reg  [23:0] fixed_route$d;
    wire  [23:0] fixed_route$q;
    reg  fixed_route$clock;
    reg  lookup_valid$d;
    wire  lookup_valid$q;
    reg  lookup_valid$clock;
    reg  [71:0] lookup_packet$d;
    wire  [71:0] lookup_packet$q;
    reg  lookup_packet$clock;
    reg  [4:0] lookup_source$d;
    wire  [4:0] lookup_source$q;
    reg  lookup_source$clock;
    reg  [23:0] lookup_override$d;
    wire  [23:0] lookup_override$q;
    reg  lookup_override$clock;
    reg  [23:0] lookup_sent$d;
    wire  [23:0] lookup_sent$q;
    reg  lookup_sent$clock;
    reg  stage_waited$d;
    wire  stage_waited$q;
    reg  stage_waited$clock;
    reg  decided$d;
    wire  decided$q;
    reg  decided$clock;
    reg  [23:0] decided_route$d;
    wire  [23:0] decided_route$q;
    reg  decided_route$clock;
    reg  decided_drop$d;
    wire  decided_drop$q;
    reg  decided_drop$clock;
    reg  [11:0] decided_counts$d;
    wire  [11:0] decided_counts$q;
    reg  decided_counts$clock;
    
    // Local signals
    reg  [31:0] control_next;
    reg  link_or_core_granted;
    reg  [71:0] selected_packet;
    reg  [4:0] selected_source;
    reg  [23:0] selected_override;
    reg  is_mc;
    reg  table_ready;
    reg  lookup_advance;
    reg  lookup_can_accept;
    reg  [23:0] out_ready_vector;
    reg  [23:0] lookup_route;
    reg  lookup_drop;
    reg  [11:0] lookup_counts;
    reg  [23:0] early_offer;
    reg  [23:0] early_taken;
    reg  [23:0] lookup_sent_now;
    reg  [23:0] lookup_left;
    reg  early_done;
    reg  stage_enter;
    
    // Sub module instances
    top$arbiter arbiter(
        .clock(arbiter$clock),
        .reset(arbiter$reset),
        .request$0(arbiter$request$0),
        .request$1(arbiter$request$1),
        .request$2(arbiter$request$2),
        .request$3(arbiter$request$3),
        .request$4(arbiter$request$4),
        .request$5(arbiter$request$5),
        .request$6(arbiter$request$6),
        .request$7(arbiter$request$7),
        .request$8(arbiter$request$8),
        .request$9(arbiter$request$9),
        .request$10(arbiter$request$10),
        .request$11(arbiter$request$11),
        .request$12(arbiter$request$12),
        .request$13(arbiter$request$13),
        .request$14(arbiter$request$14),
        .request$15(arbiter$request$15),
        .request$16(arbiter$request$16),
        .request$17(arbiter$request$17),
        .request$18(arbiter$request$18),
        .request$19(arbiter$request$19),
        .request$20(arbiter$request$20),
        .request$21(arbiter$request$21),
        .request$22(arbiter$request$22),
        .request$23(arbiter$request$23),
        .request$24(arbiter$request$24),
        .advance(arbiter$advance),
        .grant_valid(arbiter$grant_valid),
        .grant(arbiter$grant),
        .grant_one_hot(arbiter$grant_one_hot)
    );
    top$mc_table mc_table(
        .clock(mc_table$clock),
        .write_enable(mc_table$write_enable),
        .write_index(mc_table$write_index),
        .write_key(mc_table$write_key),
        .write_mask(mc_table$write_mask),
        .write_route(mc_table$write_route),
        .reset(mc_table$reset),
        .lookup_valid(mc_table$lookup_valid),
        .lookup_key(mc_table$lookup_key),
        .result_taken(mc_table$result_taken),
        .result_valid(mc_table$result_valid),
        .hit(mc_table$hit),
        .route(mc_table$route)
    );
    top$p2p p2p(
        .clock(p2p$clock),
        .write_enable(p2p$write_enable),
        .write_index(p2p$write_index),
        .write_code(p2p$write_code),
        .read_chip(p2p$read_chip),
        .read_code(p2p$read_code)
    );
    top$decision decision(
        .packet(decision$packet),
        .source(decision$source),
        .table_hit(decision$table_hit),
        .table_route(decision$table_route),
        .p2p_code(decision$p2p_code),
        .fr_route(decision$fr_route),
        .monitor(decision$monitor),
        .override_route(decision$override_route),
        .drop(decision$drop),
        .route(decision$route),
        .er_last(decision$er_last),
        .out_packet(decision$out_packet),
        .counts(decision$counts)
    );
    top$stage stage(
        .clock(stage$clock),
        .reset(stage$reset),
        .in_valid(stage$in_valid),
        .in_ready(stage$in_ready),
        .in_packet(stage$in_packet),
        .in_source(stage$in_source),
        .in_route(stage$in_route),
        .in_er_last(stage$in_er_last),
        .wait1(stage$wait1),
        .wait2(stage$wait2),
        .wait1_next(stage$wait1_next),
        .wait2_next(stage$wait2_next),
        .out_valid(stage$out_valid),
        .out_ready(stage$out_ready),
        .link_packet$0(stage$link_packet$0),
        .link_packet$1(stage$link_packet$1),
        .link_packet$2(stage$link_packet$2),
        .link_packet$3(stage$link_packet$3),
        .link_packet$4(stage$link_packet$4),
        .link_packet$5(stage$link_packet$5),
        .core_packet(stage$core_packet),
        .dump_clear(stage$dump_clear),
        .dump_header(stage$dump_header),
        .dump_key(stage$dump_key),
        .dump_payload(stage$dump_payload),
        .dump_outputs(stage$dump_outputs),
        .dump_status(stage$dump_status),
        .events(stage$events),
        .busy(stage$busy)
    );
    top$counters counters(
        .clock(counters$clock),
        .reset(counters$reset),
        .increment(counters$increment),
        .count$0(counters$count$0),
        .count$1(counters$count$1),
        .count$2(counters$count$2),
        .count$3(counters$count$3),
        .count$4(counters$count$4),
        .count$5(counters$count$5),
        .count$6(counters$count$6),
        .count$7(counters$count$7),
        .count$8(counters$count$8),
        .count$9(counters$count$9),
        .count$10(counters$count$10),
        .count$11(counters$count$11)
    );
    top$control control(
        .d(control$d),
        .q(control$q),
        .clock(control$clock)
    );
    top$fixed_route fixed_route(
        .d(fixed_route$d),
        .q(fixed_route$q),
        .clock(fixed_route$clock)
    );
    top$lookup_valid lookup_valid(
        .d(lookup_valid$d),
        .q(lookup_valid$q),
        .clock(lookup_valid$clock)
    );
    top$lookup_packet lookup_packet(
        .d(lookup_packet$d),
        .q(lookup_packet$q),
        .clock(lookup_packet$clock)
    );
    top$lookup_source lookup_source(
        .d(lookup_source$d),
        .q(lookup_source$q),
        .clock(lookup_source$clock)
    );
    top$lookup_override lookup_override(
        .d(lookup_override$d),
        .q(lookup_override$q),
        .clock(lookup_override$clock)
    );
    top$lookup_sent lookup_sent(
        .d(lookup_sent$d),
        .q(lookup_sent$q),
        .clock(lookup_sent$clock)
    );
    top$stage_waited stage_waited(
        .d(stage_waited$d),
        .q(stage_waited$q),
        .clock(stage_waited$clock)
    );
    top$decided decided(
        .d(decided$d),
        .q(decided$q),
        .clock(decided$clock)
    );
    top$decided_route decided_route(
        .d(decided_route$d),
        .q(decided_route$q),
        .clock(decided_route$clock)
    );
    top$decided_drop decided_drop(
        .d(decided_drop$d),
        .q(decided_drop$q),
        .clock(decided_drop$clock)
    );
    top$decided_counts decided_counts(
        .d(decided_counts$d),
        .q(decided_counts$q),
        .clock(decided_counts$clock)
    );
    
    // Update code
    always @(*) begin
        control$clock = clock;
        fixed_route$clock = clock;
        lookup_valid$clock = clock;
        lookup_packet$clock = clock;
        lookup_source$clock = clock;
        lookup_override$clock = clock;
        lookup_sent$clock = clock;
        stage_waited$clock = clock;
        decided$clock = clock;
        decided_route$clock = clock;
        decided_drop$clock = clock;
        decided_counts$clock = clock;
        control$d = control$q;
        fixed_route$d = fixed_route$q;
        lookup_valid$d = lookup_valid$q;
        lookup_packet$d = lookup_packet$q;
        lookup_source$d = lookup_source$q;
        lookup_override$d = lookup_override$q;
        lookup_sent$d = lookup_sent$q;
        stage_waited$d = stage_waited$q;
        decided$d = decided$q;
        decided_route$d = decided_route$q;
        decided_drop$d = decided_drop$q;
        decided_counts$d = decided_counts$q;
        arbiter$clock = clock;
        arbiter$reset = reset;
        mc_table$clock = clock;
        p2p$clock = clock;
        stage$clock = clock;
        stage$reset = reset;
        counters$clock = clock;
        counters$reset = reset;
        mc_table$write_enable = cfg_write & (cfg_target == target_mc);
        mc_table$write_index = cfg_index;
        mc_table$write_key = cfg_key;
        mc_table$write_mask = cfg_mask;
        mc_table$write_route = cfg_data[(32'h0)+:(24)];
        p2p$write_enable = cfg_write & (cfg_target == target_p2p);
        p2p$write_index = cfg_index;
        p2p$write_code = cfg_data[(32'h0)+:(3)];
        control_next = control$q;
        if (cfg_write & (cfg_target == target_control)) begin
            control_next = cfg_data;
        end
        if (reset) begin
            control_next = boot_control;
        end
        control$d = control_next;
        if (cfg_write & (cfg_target == target_fixed_route)) begin
            fixed_route$d = cfg_data[(32'h0)+:(24)];
        end
        stage$dump_clear = cfg_write & (cfg_target == target_dump_clear);
        arbiter$request$0 = link_in_valid$0;
        arbiter$request$1 = link_in_valid$1;
        arbiter$request$2 = link_in_valid$2;
        arbiter$request$3 = link_in_valid$3;
        arbiter$request$4 = link_in_valid$4;
        arbiter$request$5 = link_in_valid$5;
        arbiter$request$6 = core_in_valid$0;
        arbiter$request$7 = core_in_valid$1;
        arbiter$request$8 = core_in_valid$2;
        arbiter$request$9 = core_in_valid$3;
        arbiter$request$10 = core_in_valid$4;
        arbiter$request$11 = core_in_valid$5;
        arbiter$request$12 = core_in_valid$6;
        arbiter$request$13 = core_in_valid$7;
        arbiter$request$14 = core_in_valid$8;
        arbiter$request$15 = core_in_valid$9;
        arbiter$request$16 = core_in_valid$10;
        arbiter$request$17 = core_in_valid$11;
        arbiter$request$18 = core_in_valid$12;
        arbiter$request$19 = core_in_valid$13;
        arbiter$request$20 = core_in_valid$14;
        arbiter$request$21 = core_in_valid$15;
        arbiter$request$22 = core_in_valid$16;
        arbiter$request$23 = core_in_valid$17;
        arbiter$request$24 = reinject_valid;
        link_or_core_granted = |(arbiter$grant_one_hot & link_and_core_inputs);
        selected_packet = no_packet;
        if (arbiter$grant_one_hot[0]) begin
            selected_packet = selected_packet | link_in_packet$0;
        end
        if (arbiter$grant_one_hot[1]) begin
            selected_packet = selected_packet | link_in_packet$1;
        end
        if (arbiter$grant_one_hot[2]) begin
            selected_packet = selected_packet | link_in_packet$2;
        end
        if (arbiter$grant_one_hot[3]) begin
            selected_packet = selected_packet | link_in_packet$3;
        end
        if (arbiter$grant_one_hot[4]) begin
            selected_packet = selected_packet | link_in_packet$4;
        end
        if (arbiter$grant_one_hot[5]) begin
            selected_packet = selected_packet | link_in_packet$5;
        end
        if (arbiter$grant_one_hot[0 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$0;
        end
        if (arbiter$grant_one_hot[1 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$1;
        end
        if (arbiter$grant_one_hot[2 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$2;
        end
        if (arbiter$grant_one_hot[3 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$3;
        end
        if (arbiter$grant_one_hot[4 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$4;
        end
        if (arbiter$grant_one_hot[5 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$5;
        end
        if (arbiter$grant_one_hot[6 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$6;
        end
        if (arbiter$grant_one_hot[7 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$7;
        end
        if (arbiter$grant_one_hot[8 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$8;
        end
        if (arbiter$grant_one_hot[9 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$9;
        end
        if (arbiter$grant_one_hot[10 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$10;
        end
        if (arbiter$grant_one_hot[11 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$11;
        end
        if (arbiter$grant_one_hot[12 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$12;
        end
        if (arbiter$grant_one_hot[13 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$13;
        end
        if (arbiter$grant_one_hot[14 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$14;
        end
        if (arbiter$grant_one_hot[15 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$15;
        end
        if (arbiter$grant_one_hot[16 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$16;
        end
        if (arbiter$grant_one_hot[17 + 32'h6]) begin
            selected_packet = selected_packet | core_in_packet$17;
        end
        selected_source = arbiter$grant;
        selected_override = no_outputs;
        if (~link_or_core_granted) begin
            selected_packet = reinject_packet;
            selected_source = reinject_source;
            selected_override = reinject_route;
        end
        out_ready_vector = no_outputs;
        if (link_out_ready$0) begin
            out_ready_vector = out_ready_vector | output_bit$0;
        end
        if (link_out_ready$1) begin
            out_ready_vector = out_ready_vector | output_bit$1;
        end
        if (link_out_ready$2) begin
            out_ready_vector = out_ready_vector | output_bit$2;
        end
        if (link_out_ready$3) begin
            out_ready_vector = out_ready_vector | output_bit$3;
        end
        if (link_out_ready$4) begin
            out_ready_vector = out_ready_vector | output_bit$4;
        end
        if (link_out_ready$5) begin
            out_ready_vector = out_ready_vector | output_bit$5;
        end
        if (core_out_ready$0) begin
            out_ready_vector = out_ready_vector | output_bit$6;
        end
        if (core_out_ready$1) begin
            out_ready_vector = out_ready_vector | output_bit$7;
        end
        if (core_out_ready$2) begin
            out_ready_vector = out_ready_vector | output_bit$8;
        end
        if (core_out_ready$3) begin
            out_ready_vector = out_ready_vector | output_bit$9;
        end
        if (core_out_ready$4) begin
            out_ready_vector = out_ready_vector | output_bit$10;
        end
        if (core_out_ready$5) begin
            out_ready_vector = out_ready_vector | output_bit$11;
        end
        if (core_out_ready$6) begin
            out_ready_vector = out_ready_vector | output_bit$12;
        end
        if (core_out_ready$7) begin
            out_ready_vector = out_ready_vector | output_bit$13;
        end
        if (core_out_ready$8) begin
            out_ready_vector = out_ready_vector | output_bit$14;
        end
        if (core_out_ready$9) begin
            out_ready_vector = out_ready_vector | output_bit$15;
        end
        if (core_out_ready$10) begin
            out_ready_vector = out_ready_vector | output_bit$16;
        end
        if (core_out_ready$11) begin
            out_ready_vector = out_ready_vector | output_bit$17;
        end
        if (core_out_ready$12) begin
            out_ready_vector = out_ready_vector | output_bit$18;
        end
        if (core_out_ready$13) begin
            out_ready_vector = out_ready_vector | output_bit$19;
        end
        if (core_out_ready$14) begin
            out_ready_vector = out_ready_vector | output_bit$20;
        end
        if (core_out_ready$15) begin
            out_ready_vector = out_ready_vector | output_bit$21;
        end
        if (core_out_ready$16) begin
            out_ready_vector = out_ready_vector | output_bit$22;
        end
        if (core_out_ready$17) begin
            out_ready_vector = out_ready_vector | output_bit$23;
        end
        is_mc = ~lookup_packet$q[32'h7] & ~lookup_packet$q[32'h6];
        mc_table$reset = reset;
        mc_table$lookup_valid = lookup_valid$q & is_mc;
        mc_table$lookup_key = lookup_packet$q[(32'h8)+:(32)];
        table_ready = ~is_mc | mc_table$result_valid;
        p2p$read_chip = lookup_packet$q[(32'h8)+:(16)];
        decision$packet = lookup_packet$q;
        decision$source = lookup_source$q;
        decision$table_hit = mc_table$hit;
        decision$table_route = mc_table$route;
        decision$p2p_code = p2p$read_code;
        decision$fr_route = fixed_route$q;
        decision$monitor = control$q[(32'h8)+:(5)];
        decision$override_route = lookup_override$q;
        lookup_route = decision$route;
        lookup_drop = decision$drop;
        lookup_counts = decision$counts;
        if (decided$q) begin
            lookup_route = decided_route$q;
            lookup_drop = decided_drop$q;
            lookup_counts = decided_counts$q;
        end
        early_offer = no_outputs;
        if (lookup_valid$q & table_ready & ~lookup_drop & stage$busy & stage_waited$q) begin
            early_offer = lookup_route & ~lookup_sent$q & ~stage$out_valid;
            if (|(stage$out_valid & core_outputs)) begin
                early_offer = lookup_route & ~lookup_sent$q & ~stage$out_valid & link_outputs;
            end
        end
        early_taken = early_offer & out_ready_vector;
        lookup_sent_now = lookup_sent$q | early_taken;
        lookup_left = lookup_route & ~lookup_sent_now;
        early_done = |lookup_sent_now & ~|lookup_left;
        lookup_advance = lookup_valid$q & table_ready & (lookup_drop | stage$in_ready | early_done);
        lookup_can_accept = ~lookup_valid$q | lookup_advance;
        decided$d = lookup_valid$q & table_ready & ~lookup_advance;
        decided_route$d = lookup_route;
        decided_drop$d = lookup_drop;
        decided_counts$d = lookup_counts;
        lookup_sent$d = lookup_sent_now;
        if (lookup_can_accept) begin
            lookup_sent$d = no_outputs;
        end
        mc_table$result_taken = lookup_advance;
        arbiter$advance = lookup_can_accept;
        if (lookup_can_accept) begin
            lookup_valid$d = arbiter$grant_valid;
            lookup_packet$d = selected_packet;
            lookup_source$d = selected_source;
            lookup_override$d = selected_override;
        end
        link_in_ready$0 = lookup_can_accept & arbiter$grant_one_hot[0];
        link_in_ready$1 = lookup_can_accept & arbiter$grant_one_hot[1];
        link_in_ready$2 = lookup_can_accept & arbiter$grant_one_hot[2];
        link_in_ready$3 = lookup_can_accept & arbiter$grant_one_hot[3];
        link_in_ready$4 = lookup_can_accept & arbiter$grant_one_hot[4];
        link_in_ready$5 = lookup_can_accept & arbiter$grant_one_hot[5];
        core_in_ready$0 = lookup_can_accept & arbiter$grant_one_hot[0 + 32'h6];
        core_in_ready$1 = lookup_can_accept & arbiter$grant_one_hot[1 + 32'h6];
        core_in_ready$2 = lookup_can_accept & arbiter$grant_one_hot[2 + 32'h6];
        core_in_ready$3 = lookup_can_accept & arbiter$grant_one_hot[3 + 32'h6];
        core_in_ready$4 = lookup_can_accept & arbiter$grant_one_hot[4 + 32'h6];
        core_in_ready$5 = lookup_can_accept & arbiter$grant_one_hot[5 + 32'h6];
        core_in_ready$6 = lookup_can_accept & arbiter$grant_one_hot[6 + 32'h6];
        core_in_ready$7 = lookup_can_accept & arbiter$grant_one_hot[7 + 32'h6];
        core_in_ready$8 = lookup_can_accept & arbiter$grant_one_hot[8 + 32'h6];
        core_in_ready$9 = lookup_can_accept & arbiter$grant_one_hot[9 + 32'h6];
        core_in_ready$10 = lookup_can_accept & arbiter$grant_one_hot[10 + 32'h6];
        core_in_ready$11 = lookup_can_accept & arbiter$grant_one_hot[11 + 32'h6];
        core_in_ready$12 = lookup_can_accept & arbiter$grant_one_hot[12 + 32'h6];
        core_in_ready$13 = lookup_can_accept & arbiter$grant_one_hot[13 + 32'h6];
        core_in_ready$14 = lookup_can_accept & arbiter$grant_one_hot[14 + 32'h6];
        core_in_ready$15 = lookup_can_accept & arbiter$grant_one_hot[15 + 32'h6];
        core_in_ready$16 = lookup_can_accept & arbiter$grant_one_hot[16 + 32'h6];
        core_in_ready$17 = lookup_can_accept & arbiter$grant_one_hot[17 + 32'h6];
        reinject_ready = lookup_can_accept & arbiter$grant_one_hot[32'h18];
        stage_enter = lookup_valid$q & table_ready & ~lookup_drop & ~early_done;
        stage$in_valid = stage_enter;
        stage$in_packet = decision$out_packet;
        stage$in_source = lookup_source$q;
        stage$in_route = lookup_left;
        stage_waited$d = stage$busy & ~(stage_enter & stage$in_ready);
        stage$in_er_last = decision$er_last;
        stage$wait1 = control$q[(32'h10)+:(8)];
        stage$wait2 = control$q[(32'h18)+:(8)];
        stage$wait1_next = control_next[(32'h10)+:(8)];
        stage$wait2_next = control_next[(32'h18)+:(8)];
        link_out_valid$0 = stage$out_valid[0] | early_offer[0];
        link_out_packet$0 = stage$link_packet$0;
        if (early_offer[0]) begin
            link_out_packet$0 = decision$out_packet;
            if (decision$er_last[0]) begin
                link_out_packet$0 = decision$out_packet ^ mark_last_hop;
            end
        end
        link_out_valid$1 = stage$out_valid[1] | early_offer[1];
        link_out_packet$1 = stage$link_packet$1;
        if (early_offer[1]) begin
            link_out_packet$1 = decision$out_packet;
            if (decision$er_last[1]) begin
                link_out_packet$1 = decision$out_packet ^ mark_last_hop;
            end
        end
        link_out_valid$2 = stage$out_valid[2] | early_offer[2];
        link_out_packet$2 = stage$link_packet$2;
        if (early_offer[2]) begin
            link_out_packet$2 = decision$out_packet;
            if (decision$er_last[2]) begin
                link_out_packet$2 = decision$out_packet ^ mark_last_hop;
            end
        end
        link_out_valid$3 = stage$out_valid[3] | early_offer[3];
        link_out_packet$3 = stage$link_packet$3;
        if (early_offer[3]) begin
            link_out_packet$3 = decision$out_packet;
            if (decision$er_last[3]) begin
                link_out_packet$3 = decision$out_packet ^ mark_last_hop;
            end
        end
        link_out_valid$4 = stage$out_valid[4] | early_offer[4];
        link_out_packet$4 = stage$link_packet$4;
        if (early_offer[4]) begin
            link_out_packet$4 = decision$out_packet;
            if (decision$er_last[4]) begin
                link_out_packet$4 = decision$out_packet ^ mark_last_hop;
            end
        end
        link_out_valid$5 = stage$out_valid[5] | early_offer[5];
        link_out_packet$5 = stage$link_packet$5;
        if (early_offer[5]) begin
            link_out_packet$5 = decision$out_packet;
            if (decision$er_last[5]) begin
                link_out_packet$5 = decision$out_packet ^ mark_last_hop;
            end
        end
        core_out_valid$0 = stage$out_valid[0 + 32'h6] | early_offer[0 + 32'h6];
        core_out_valid$1 = stage$out_valid[1 + 32'h6] | early_offer[1 + 32'h6];
        core_out_valid$2 = stage$out_valid[2 + 32'h6] | early_offer[2 + 32'h6];
        core_out_valid$3 = stage$out_valid[3 + 32'h6] | early_offer[3 + 32'h6];
        core_out_valid$4 = stage$out_valid[4 + 32'h6] | early_offer[4 + 32'h6];
        core_out_valid$5 = stage$out_valid[5 + 32'h6] | early_offer[5 + 32'h6];
        core_out_valid$6 = stage$out_valid[6 + 32'h6] | early_offer[6 + 32'h6];
        core_out_valid$7 = stage$out_valid[7 + 32'h6] | early_offer[7 + 32'h6];
        core_out_valid$8 = stage$out_valid[8 + 32'h6] | early_offer[8 + 32'h6];
        core_out_valid$9 = stage$out_valid[9 + 32'h6] | early_offer[9 + 32'h6];
        core_out_valid$10 = stage$out_valid[10 + 32'h6] | early_offer[10 + 32'h6];
        core_out_valid$11 = stage$out_valid[11 + 32'h6] | early_offer[11 + 32'h6];
        core_out_valid$12 = stage$out_valid[12 + 32'h6] | early_offer[12 + 32'h6];
        core_out_valid$13 = stage$out_valid[13 + 32'h6] | early_offer[13 + 32'h6];
        core_out_valid$14 = stage$out_valid[14 + 32'h6] | early_offer[14 + 32'h6];
        core_out_valid$15 = stage$out_valid[15 + 32'h6] | early_offer[15 + 32'h6];
        core_out_valid$16 = stage$out_valid[16 + 32'h6] | early_offer[16 + 32'h6];
        core_out_valid$17 = stage$out_valid[17 + 32'h6] | early_offer[17 + 32'h6];
        stage$out_ready = out_ready_vector;
        core_out_packet = stage$core_packet;
        if (|(early_offer & core_outputs)) begin
            core_out_packet = decision$out_packet;
        end
        counters$increment = stage$events;
        if (lookup_advance) begin
            counters$increment = stage$events | lookup_counts;
        end
        count$0 = counters$count$0;
        count$1 = counters$count$1;
        count$2 = counters$count$2;
        count$3 = counters$count$3;
        count$4 = counters$count$4;
        count$5 = counters$count$5;
        count$6 = counters$count$6;
        count$7 = counters$count$7;
        count$8 = counters$count$8;
        count$9 = counters$count$9;
        count$10 = counters$count$10;
        count$11 = counters$count$11;
        dump_header = stage$dump_header;
        dump_key = stage$dump_key;
        dump_payload = stage$dump_payload;
        dump_outputs = stage$dump_outputs;
        dump_status = stage$dump_status;
        dump_interrupt = stage$dump_status[32'h1f] & control$q[32'h2];
        output_stage_empty = ~stage$busy;
        if (reset) begin
            fixed_route$d = no_outputs;
            lookup_valid$d = 1'b0;
            lookup_sent$d = no_outputs;
            stage_waited$d = 1'b0;
            decided$d = 1'b0;
        end
    end
    
endmodule // top


module top$arbiter(clock,reset,request$0,request$1,request$2,request$3,request$4,request$5,request$6,request$7,request$8,request$9,request$10,request$11,request$12,request$13,request$14,request$15,request$16,request$17,request$18,request$19,request$20,request$21,request$22,request$23,request$24,advance,grant_valid,grant,grant_one_hot);
    
    // Module arguments
    input wire  clock;
    input wire  reset;
    input wire  request$0;
    input wire  request$1;
    input wire  request$2;
    input wire  request$3;
    input wire  request$4;
    input wire  request$5;
    input wire  request$6;
    input wire  request$7;
    input wire  request$8;
    input wire  request$9;
    input wire  request$10;
    input wire  request$11;
    input wire  request$12;
    input wire  request$13;
    input wire  request$14;
    input wire  request$15;
    input wire  request$16;
    input wire  request$17;
    input wire  request$18;
    input wire  request$19;
    input wire  request$20;
    input wire  request$21;
    input wire  request$22;
    input wire  request$23;
    input wire  request$24;
    input wire  advance;
    output reg  grant_valid;
    output reg  [4:0] grant;
    output reg  [24:0] grant_one_hot;
    
    // Constant declarations
    localparam  port_number$0 = 5'b0;
    localparam  port_number$1 = 5'b1;
    localparam  port_number$2 = 5'b10;
    localparam  port_number$3 = 5'b11;
    localparam  port_number$4 = 5'b100;
    localparam  port_number$5 = 5'b101;
    localparam  port_number$6 = 5'b110;
    localparam  port_number$7 = 5'b111;
    localparam  port_number$8 = 5'b1000;
    localparam  port_number$9 = 5'b1001;
    localparam  port_number$10 = 5'b1010;
    localparam  port_number$11 = 5'b1011;
    localparam  port_number$12 = 5'b1100;
    localparam  port_number$13 = 5'b1101;
    localparam  port_number$14 = 5'b1110;
    localparam  port_number$15 = 5'b1111;
    localparam  port_number$16 = 5'b10000;
    localparam  port_number$17 = 5'b10001;
    localparam  port_number$18 = 5'b10010;
    localparam  port_number$19 = 5'b10011;
    localparam  port_number$20 = 5'b10100;
    localparam  port_number$21 = 5'b10101;
    localparam  port_number$22 = 5'b10110;
    localparam  port_number$23 = 5'b10111;
    localparam  port_number$24 = 5'b11000;
    localparam  input_bit$0 = 25'h1;
    localparam  input_bit$1 = 25'h2;
    localparam  input_bit$2 = 25'h4;
    localparam  input_bit$3 = 25'h8;
    localparam  input_bit$4 = 25'h10;
    localparam  input_bit$5 = 25'h20;
    localparam  input_bit$6 = 25'h40;
    localparam  input_bit$7 = 25'h80;
    localparam  input_bit$8 = 25'h100;
    localparam  input_bit$9 = 25'h200;
    localparam  input_bit$10 = 25'h400;
    localparam  input_bit$11 = 25'h800;
    localparam  input_bit$12 = 25'h1000;
    localparam  input_bit$13 = 25'h2000;
    localparam  input_bit$14 = 25'h4000;
    localparam  input_bit$15 = 25'h8000;
    localparam  input_bit$16 = 25'h10000;
    localparam  input_bit$17 = 25'h20000;
    localparam  input_bit$18 = 25'h40000;
    localparam  input_bit$19 = 25'h80000;
    localparam  input_bit$20 = 25'h100000;
    localparam  input_bit$21 = 25'h200000;
    localparam  input_bit$22 = 25'h400000;
    localparam  input_bit$23 = 25'h800000;
    localparam  input_bit$24 = 25'h1000000;
    localparam  link_inputs = 25'h3f;
    localparam  local_inputs = 25'h1ffffc0;
    localparam  no_inputs = 25'h0;
    localparam  inputs_below$0 = 25'h0;
    localparam  inputs_below$1 = 25'h1;
    localparam  inputs_below$2 = 25'h3;
    localparam  inputs_below$3 = 25'h7;
    localparam  inputs_below$4 = 25'hf;
    localparam  inputs_below$5 = 25'h1f;
    localparam  inputs_below$6 = 25'h3f;
    localparam  inputs_below$7 = 25'h7f;
    localparam  inputs_below$8 = 25'hff;
    localparam  inputs_below$9 = 25'h1ff;
    localparam  inputs_below$10 = 25'h3ff;
    localparam  inputs_below$11 = 25'h7ff;
    localparam  inputs_below$12 = 25'hfff;
    localparam  inputs_below$13 = 25'h1fff;
    localparam  inputs_below$14 = 25'h3fff;
    localparam  inputs_below$15 = 25'h7fff;
    localparam  inputs_below$16 = 25'hffff;
    localparam  inputs_below$17 = 25'h1ffff;
    localparam  inputs_below$18 = 25'h3ffff;
    localparam  inputs_below$19 = 25'h7ffff;
    localparam  inputs_below$20 = 25'hfffff;
    localparam  inputs_below$21 = 25'h1fffff;
    localparam  inputs_below$22 = 25'h3fffff;
    localparam  inputs_below$23 = 25'h7fffff;
    localparam  inputs_below$24 = 25'hffffff;
    
    // Stub signals
    reg  [24:0] link_mask$d;
    wire  [24:0] link_mask$q;
    reg  link_mask$clock;
    reg  [24:0] local_mask$d;
    wire  [24:0] local_mask$q;
    reg  local_mask$clock;
    
    // Local signals
    reg  [24:0] requests;
    reg  [24:0] link_candidates;
    reg  [24:0] local_candidates;
    reg  [24:0] candidates;
    reg  [24:0] chosen;
    reg  [4:0] chosen_port;
    reg  [24:0] after_chosen;
    
    // Sub module instances
    top$arbiter$link_mask link_mask(
        .d(link_mask$d),
        .q(link_mask$q),
        .clock(link_mask$clock)
    );
    top$arbiter$local_mask local_mask(
        .d(local_mask$d),
        .q(local_mask$q),
        .clock(local_mask$clock)
    );
    
    // Update code
    always @(*) begin
        link_mask$clock = clock;
        local_mask$clock = clock;
        link_mask$d = link_mask$q;
        local_mask$d = local_mask$q;
        requests = no_inputs;
        if (request$0) begin
            requests = requests | input_bit$0;
        end
        if (request$1) begin
            requests = requests | input_bit$1;
        end
        if (request$2) begin
            requests = requests | input_bit$2;
        end
        if (request$3) begin
            requests = requests | input_bit$3;
        end
        if (request$4) begin
            requests = requests | input_bit$4;
        end
        if (request$5) begin
            requests = requests | input_bit$5;
        end
        if (request$6) begin
            requests = requests | input_bit$6;
        end
        if (request$7) begin
            requests = requests | input_bit$7;
        end
        if (request$8) begin
            requests = requests | input_bit$8;
        end
        if (request$9) begin
            requests = requests | input_bit$9;
        end
        if (request$10) begin
            requests = requests | input_bit$10;
        end
        if (request$11) begin
            requests = requests | input_bit$11;
        end
        if (request$12) begin
            requests = requests | input_bit$12;
        end
        if (request$13) begin
            requests = requests | input_bit$13;
        end
        if (request$14) begin
            requests = requests | input_bit$14;
        end
        if (request$15) begin
            requests = requests | input_bit$15;
        end
        if (request$16) begin
            requests = requests | input_bit$16;
        end
        if (request$17) begin
            requests = requests | input_bit$17;
        end
        if (request$18) begin
            requests = requests | input_bit$18;
        end
        if (request$19) begin
            requests = requests | input_bit$19;
        end
        if (request$20) begin
            requests = requests | input_bit$20;
        end
        if (request$21) begin
            requests = requests | input_bit$21;
        end
        if (request$22) begin
            requests = requests | input_bit$22;
        end
        if (request$23) begin
            requests = requests | input_bit$23;
        end
        if (request$24) begin
            requests = requests | input_bit$24;
        end
        link_candidates = requests & link_inputs;
        if (|(requests & link_mask$q)) begin
            link_candidates = requests & link_mask$q;
        end
        local_candidates = requests & local_inputs;
        if (|(requests & local_mask$q)) begin
            local_candidates = requests & local_mask$q;
        end
        candidates = local_candidates;
        if (|(requests & link_inputs)) begin
            candidates = link_candidates;
        end
        chosen = no_inputs;
        chosen_port = port_number$0;
        if (candidates[0] & ~|(candidates & inputs_below$0)) begin
            chosen = chosen | input_bit$0;
            chosen_port = chosen_port | port_number$0;
        end
        if (candidates[1] & ~|(candidates & inputs_below$1)) begin
            chosen = chosen | input_bit$1;
            chosen_port = chosen_port | port_number$1;
        end
        if (candidates[2] & ~|(candidates & inputs_below$2)) begin
            chosen = chosen | input_bit$2;
            chosen_port = chosen_port | port_number$2;
        end
        if (candidates[3] & ~|(candidates & inputs_below$3)) begin
            chosen = chosen | input_bit$3;
            chosen_port = chosen_port | port_number$3;
        end
        if (candidates[4] & ~|(candidates & inputs_below$4)) begin
            chosen = chosen | input_bit$4;
            chosen_port = chosen_port | port_number$4;
        end
        if (candidates[5] & ~|(candidates & inputs_below$5)) begin
            chosen = chosen | input_bit$5;
            chosen_port = chosen_port | port_number$5;
        end
        if (candidates[6] & ~|(candidates & inputs_below$6)) begin
            chosen = chosen | input_bit$6;
            chosen_port = chosen_port | port_number$6;
        end
        if (candidates[7] & ~|(candidates & inputs_below$7)) begin
            chosen = chosen | input_bit$7;
            chosen_port = chosen_port | port_number$7;
        end
        if (candidates[8] & ~|(candidates & inputs_below$8)) begin
            chosen = chosen | input_bit$8;
            chosen_port = chosen_port | port_number$8;
        end
        if (candidates[9] & ~|(candidates & inputs_below$9)) begin
            chosen = chosen | input_bit$9;
            chosen_port = chosen_port | port_number$9;
        end
        if (candidates[10] & ~|(candidates & inputs_below$10)) begin
            chosen = chosen | input_bit$10;
            chosen_port = chosen_port | port_number$10;
        end
        if (candidates[11] & ~|(candidates & inputs_below$11)) begin
            chosen = chosen | input_bit$11;
            chosen_port = chosen_port | port_number$11;
        end
        if (candidates[12] & ~|(candidates & inputs_below$12)) begin
            chosen = chosen | input_bit$12;
            chosen_port = chosen_port | port_number$12;
        end
        if (candidates[13] & ~|(candidates & inputs_below$13)) begin
            chosen = chosen | input_bit$13;
            chosen_port = chosen_port | port_number$13;
        end
        if (candidates[14] & ~|(candidates & inputs_below$14)) begin
            chosen = chosen | input_bit$14;
            chosen_port = chosen_port | port_number$14;
        end
        if (candidates[15] & ~|(candidates & inputs_below$15)) begin
            chosen = chosen | input_bit$15;
            chosen_port = chosen_port | port_number$15;
        end
        if (candidates[16] & ~|(candidates & inputs_below$16)) begin
            chosen = chosen | input_bit$16;
            chosen_port = chosen_port | port_number$16;
        end
        if (candidates[17] & ~|(candidates & inputs_below$17)) begin
            chosen = chosen | input_bit$17;
            chosen_port = chosen_port | port_number$17;
        end
        if (candidates[18] & ~|(candidates & inputs_below$18)) begin
            chosen = chosen | input_bit$18;
            chosen_port = chosen_port | port_number$18;
        end
        if (candidates[19] & ~|(candidates & inputs_below$19)) begin
            chosen = chosen | input_bit$19;
            chosen_port = chosen_port | port_number$19;
        end
        if (candidates[20] & ~|(candidates & inputs_below$20)) begin
            chosen = chosen | input_bit$20;
            chosen_port = chosen_port | port_number$20;
        end
        if (candidates[21] & ~|(candidates & inputs_below$21)) begin
            chosen = chosen | input_bit$21;
            chosen_port = chosen_port | port_number$21;
        end
        if (candidates[22] & ~|(candidates & inputs_below$22)) begin
            chosen = chosen | input_bit$22;
            chosen_port = chosen_port | port_number$22;
        end
        if (candidates[23] & ~|(candidates & inputs_below$23)) begin
            chosen = chosen | input_bit$23;
            chosen_port = chosen_port | port_number$23;
        end
        if (candidates[24] & ~|(candidates & inputs_below$24)) begin
            chosen = chosen | input_bit$24;
            chosen_port = chosen_port | port_number$24;
        end
        after_chosen = no_inputs;
        if (|(chosen & inputs_below$1)) begin
            after_chosen = after_chosen | input_bit$1;
        end
        if (|(chosen & inputs_below$2)) begin
            after_chosen = after_chosen | input_bit$2;
        end
        if (|(chosen & inputs_below$3)) begin
            after_chosen = after_chosen | input_bit$3;
        end
        if (|(chosen & inputs_below$4)) begin
            after_chosen = after_chosen | input_bit$4;
        end
        if (|(chosen & inputs_below$5)) begin
            after_chosen = after_chosen | input_bit$5;
        end
        if (|(chosen & inputs_below$6)) begin
            after_chosen = after_chosen | input_bit$6;
        end
        if (|(chosen & inputs_below$7)) begin
            after_chosen = after_chosen | input_bit$7;
        end
        if (|(chosen & inputs_below$8)) begin
            after_chosen = after_chosen | input_bit$8;
        end
        if (|(chosen & inputs_below$9)) begin
            after_chosen = after_chosen | input_bit$9;
        end
        if (|(chosen & inputs_below$10)) begin
            after_chosen = after_chosen | input_bit$10;
        end
        if (|(chosen & inputs_below$11)) begin
            after_chosen = after_chosen | input_bit$11;
        end
        if (|(chosen & inputs_below$12)) begin
            after_chosen = after_chosen | input_bit$12;
        end
        if (|(chosen & inputs_below$13)) begin
            after_chosen = after_chosen | input_bit$13;
        end
        if (|(chosen & inputs_below$14)) begin
            after_chosen = after_chosen | input_bit$14;
        end
        if (|(chosen & inputs_below$15)) begin
            after_chosen = after_chosen | input_bit$15;
        end
        if (|(chosen & inputs_below$16)) begin
            after_chosen = after_chosen | input_bit$16;
        end
        if (|(chosen & inputs_below$17)) begin
            after_chosen = after_chosen | input_bit$17;
        end
        if (|(chosen & inputs_below$18)) begin
            after_chosen = after_chosen | input_bit$18;
        end
        if (|(chosen & inputs_below$19)) begin
            after_chosen = after_chosen | input_bit$19;
        end
        if (|(chosen & inputs_below$20)) begin
            after_chosen = after_chosen | input_bit$20;
        end
        if (|(chosen & inputs_below$21)) begin
            after_chosen = after_chosen | input_bit$21;
        end
        if (|(chosen & inputs_below$22)) begin
            after_chosen = after_chosen | input_bit$22;
        end
        if (|(chosen & inputs_below$23)) begin
            after_chosen = after_chosen | input_bit$23;
        end
        if (|(chosen & inputs_below$24)) begin
            after_chosen = after_chosen | input_bit$24;
        end
        grant_valid = |requests;
        grant = chosen_port;
        grant_one_hot = chosen;
        if (advance & |requests) begin
            if (|(chosen & link_inputs)) begin
                link_mask$d = after_chosen & link_inputs;
            end
            else begin
                local_mask$d = after_chosen;
            end
        end
        if (reset) begin
            link_mask$d = link_inputs;
            local_mask$d = local_inputs;
        end
    end
    
endmodule // top$arbiter


module top$arbiter$link_mask(d,q,clock);
    
    // Module arguments
    input wire  [24:0] d;
    output reg  [24:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 25'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$arbiter$link_mask


module top$arbiter$local_mask(d,q,clock);
    
    // Module arguments
    input wire  [24:0] d;
    output reg  [24:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 25'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$arbiter$local_mask


module top$control(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$control


module top$counters(clock,reset,increment,count$0,count$1,count$2,count$3,count$4,count$5,count$6,count$7,count$8,count$9,count$10,count$11);
    
    // Module arguments
    input wire  clock;
    input wire  reset;
    input wire  [11:0] increment;
    output reg  [31:0] count$0;
    output reg  [31:0] count$1;
    output reg  [31:0] count$2;
    output reg  [31:0] count$3;
    output reg  [31:0] count$4;
    output reg  [31:0] count$5;
    output reg  [31:0] count$6;
    output reg  [31:0] count$7;
    output reg  [31:0] count$8;
    output reg  [31:0] count$9;
    output reg  [31:0] count$10;
    output reg  [31:0] count$11;
    
    // Stub signals
    reg  [31:0] value$0$d;
    wire  [31:0] value$0$q;
    reg  value$0$clock;
    reg  [31:0] value$1$d;
    wire  [31:0] value$1$q;
    reg  value$1$clock;
    reg  [31:0] value$2$d;
    wire  [31:0] value$2$q;
    reg  value$2$clock;
    reg  [31:0] value$3$d;
    wire  [31:0] value$3$q;
    reg  value$3$clock;
    reg  [31:0] value$4$d;
    wire  [31:0] value$4$q;
    reg  value$4$clock;
    reg  [31:0] value$5$d;
    wire  [31:0] value$5$q;
    reg  value$5$clock;
    reg  [31:0] value$6$d;
    wire  [31:0] value$6$q;
    reg  value$6$clock;
    reg  [31:0] value$7$d;
    wire  [31:0] value$7$q;
    reg  value$7$clock;
    reg  [31:0] value$8$d;
    wire  [31:0] value$8$q;
    reg  value$8$clock;
    reg  [31:0] value$9$d;
    wire  [31:0] value$9$q;
    reg  value$9$clock;
    reg  [31:0] value$10$d;
    wire  [31:0] value$10$q;
    reg  value$10$clock;
    reg  [31:0] value$11$d;
    wire  [31:0] value$11$q;
    reg  value$11$clock;
    
    // Sub module instances
    top$counters$value$0 value$0(
        .d(value$0$d),
        .q(value$0$q),
        .clock(value$0$clock)
    );
    top$counters$value$1 value$1(
        .d(value$1$d),
        .q(value$1$q),
        .clock(value$1$clock)
    );
    top$counters$value$2 value$2(
        .d(value$2$d),
        .q(value$2$q),
        .clock(value$2$clock)
    );
    top$counters$value$3 value$3(
        .d(value$3$d),
        .q(value$3$q),
        .clock(value$3$clock)
    );
    top$counters$value$4 value$4(
        .d(value$4$d),
        .q(value$4$q),
        .clock(value$4$clock)
    );
    top$counters$value$5 value$5(
        .d(value$5$d),
        .q(value$5$q),
        .clock(value$5$clock)
    );
    top$counters$value$6 value$6(
        .d(value$6$d),
        .q(value$6$q),
        .clock(value$6$clock)
    );
    top$counters$value$7 value$7(
        .d(value$7$d),
        .q(value$7$q),
        .clock(value$7$clock)
    );
    top$counters$value$8 value$8(
        .d(value$8$d),
        .q(value$8$q),
        .clock(value$8$clock)
    );
    top$counters$value$9 value$9(
        .d(value$9$d),
        .q(value$9$q),
        .clock(value$9$clock)
    );
    top$counters$value$10 value$10(
        .d(value$10$d),
        .q(value$10$q),
        .clock(value$10$clock)
    );
    top$counters$value$11 value$11(
        .d(value$11$d),
        .q(value$11$q),
        .clock(value$11$clock)
    );
    
    // Update code
    always @(*) begin
        value$0$clock = clock;
        value$0$d = value$0$q;
        if (increment[0]) begin
            value$0$d = value$0$q + 32'h1;
        end
        if (reset) begin
            value$0$d = 32'h0;
        end
        count$0 = value$0$q;
        value$1$clock = clock;
        value$1$d = value$1$q;
        if (increment[1]) begin
            value$1$d = value$1$q + 32'h1;
        end
        if (reset) begin
            value$1$d = 32'h0;
        end
        count$1 = value$1$q;
        value$2$clock = clock;
        value$2$d = value$2$q;
        if (increment[2]) begin
            value$2$d = value$2$q + 32'h1;
        end
        if (reset) begin
            value$2$d = 32'h0;
        end
        count$2 = value$2$q;
        value$3$clock = clock;
        value$3$d = value$3$q;
        if (increment[3]) begin
            value$3$d = value$3$q + 32'h1;
        end
        if (reset) begin
            value$3$d = 32'h0;
        end
        count$3 = value$3$q;
        value$4$clock = clock;
        value$4$d = value$4$q;
        if (increment[4]) begin
            value$4$d = value$4$q + 32'h1;
        end
        if (reset) begin
            value$4$d = 32'h0;
        end
        count$4 = value$4$q;
        value$5$clock = clock;
        value$5$d = value$5$q;
        if (increment[5]) begin
            value$5$d = value$5$q + 32'h1;
        end
        if (reset) begin
            value$5$d = 32'h0;
        end
        count$5 = value$5$q;
        value$6$clock = clock;
        value$6$d = value$6$q;
        if (increment[6]) begin
            value$6$d = value$6$q + 32'h1;
        end
        if (reset) begin
            value$6$d = 32'h0;
        end
        count$6 = value$6$q;
        value$7$clock = clock;
        value$7$d = value$7$q;
        if (increment[7]) begin
            value$7$d = value$7$q + 32'h1;
        end
        if (reset) begin
            value$7$d = 32'h0;
        end
        count$7 = value$7$q;
        value$8$clock = clock;
        value$8$d = value$8$q;
        if (increment[8]) begin
            value$8$d = value$8$q + 32'h1;
        end
        if (reset) begin
            value$8$d = 32'h0;
        end
        count$8 = value$8$q;
        value$9$clock = clock;
        value$9$d = value$9$q;
        if (increment[9]) begin
            value$9$d = value$9$q + 32'h1;
        end
        if (reset) begin
            value$9$d = 32'h0;
        end
        count$9 = value$9$q;
        value$10$clock = clock;
        value$10$d = value$10$q;
        if (increment[10]) begin
            value$10$d = value$10$q + 32'h1;
        end
        if (reset) begin
            value$10$d = 32'h0;
        end
        count$10 = value$10$q;
        value$11$clock = clock;
        value$11$d = value$11$q;
        if (increment[11]) begin
            value$11$d = value$11$q + 32'h1;
        end
        if (reset) begin
            value$11$d = 32'h0;
        end
        count$11 = value$11$q;
    end
    
endmodule // top$counters


module top$counters$value$0(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$counters$value$0


module top$counters$value$1(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$counters$value$1


module top$counters$value$10(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$counters$value$10


module top$counters$value$11(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$counters$value$11


module top$counters$value$2(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$counters$value$2


module top$counters$value$3(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$counters$value$3


module top$counters$value$4(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$counters$value$4


module top$counters$value$5(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$counters$value$5


module top$counters$value$6(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$counters$value$6


module top$counters$value$7(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$counters$value$7


module top$counters$value$8(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$counters$value$8


module top$counters$value$9(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$counters$value$9


module top$decided(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$decided


module top$decided_counts(d,q,clock);
    
    // Module arguments
    input wire  [11:0] d;
    output reg  [11:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 12'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$decided_counts


module top$decided_drop(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$decided_drop


module top$decided_route(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$decided_route


module top$decision(packet,source,table_hit,table_route,p2p_code,fr_route,monitor,override_route,drop,route,er_last,out_packet,counts);
    
    // Module arguments
    input wire  [71:0] packet;
    input wire  [4:0] source;
    input wire  table_hit;
    input wire  [23:0] table_route;
    input wire  [2:0] p2p_code;
    input wire  [23:0] fr_route;
    input wire  [4:0] monitor;
    input wire  [23:0] override_route;
    output reg  drop;
    output reg  [23:0] route;
    output reg  [5:0] er_last;
    output reg  [71:0] out_packet;
    output reg  [11:0] counts;
    
    // Constant declarations
    localparam  rotate_clockwise = 1'b1;
    localparam  n_links = 5'b110;
    localparam  one_link = 6'b1;
    localparam  one_route = 24'h1;
    localparam  core_offset = 24'h6;
    localparam  clear_er = 72'hffffffffffffffffcf;
    localparam  parity_bit = 72'h1;
    localparam  kind_mc = 2'b0;
    localparam  kind_p2p = 2'b1;
    localparam  kind_fr = 2'b11;
    localparam  er_first_also_normal = 2'b1;
    localparam  er_first_hop = 2'b10;
    localparam  er_last_hop = 2'b11;
    localparam  code_drop = 3'b110;
    localparam  code_monitor = 3'b111;
    localparam  first_core_code = 3'b110;
    localparam  type_counters = 12'h1f;
    localparam  no_links = 6'b0;
    localparam  no_route = 24'h0;
    localparam  no_counts = 12'h0;
    localparam  count_local_mc = 12'h1;
    localparam  count_external_mc = 12'h2;
    localparam  count_p2p = 12'h4;
    localparam  count_nn = 12'h8;
    localparam  count_fr = 12'h10;
    localparam  count_default_routed = 12'h80;
    localparam  count_unroutable = 12'h100;
    localparam  count_parity_error = 12'h200;
    
    // Local signals
    reg  [7:0] header;
    reg  [1:0] kind;
    reg  [1:0] er;
    reg  [2:0] nn_route;
    reg  [31:0] key_bits;
    reg  [31:0] payload_bits;
    reg  parity_ok;
    reg  from_link;
    reg  [5:0] source_link;
    reg  [5:0] forward;
    reg  [5:0] arrival;
    reg  [5:0] default_link;
    reg  [23:0] monitor_route;
    reg  [71:0] normalised;
    reg  [23:0] normal_route;
    reg  [5:0] code_link;
    reg  [11:0] increments;
    
    // Update code
    always @(*) begin
        header = packet[(32'h0)+:(8)];
        kind = header[(32'h6)+:(2)];
        er = header[(32'h4)+:(2)];
        nn_route = header[(32'h2)+:(3)];
        key_bits = packet[(32'h8)+:(32)];
        payload_bits = packet[(32'h28)+:(32)];
        parity_ok = ^header ^ ^key_bits ^ (header[32'h1] & ^payload_bits);
        normalised = packet & clear_er;
        if (er[32'h0] ^ er[32'h1]) begin
            normalised = (packet & clear_er) ^ parity_bit;
        end
        from_link = source < n_links;
        source_link = no_links;
        if (from_link) begin
            source_link = one_link << ((source) & 6'h3f);
        end
        if (rotate_clockwise) begin
            forward = (source_link >> 32'h1) | (source_link << 32'h5);
        end
        else begin
            forward = (source_link << 32'h1) | (source_link >> 32'h5);
        end
        arrival = source_link;
        if (er == er_last_hop) begin
            arrival = forward;
        end
        default_link = (arrival << 32'h3) | (arrival >> 32'h3);
        monitor_route = one_route << (((monitor) & 24'hffffff) + core_offset);
        drop = 1'b0;
        route = no_route;
        er_last = no_links;
        out_packet = packet;
        increments = no_counts;
        normal_route = no_route;
        code_link = no_links;
        if (~parity_ok) begin
            drop = 1'b1;
            increments = increments | count_parity_error;
        end
        else if ((kind == kind_mc) | (kind == kind_fr)) begin
            out_packet = normalised;
            if (kind == kind_fr) begin
                increments = increments | count_fr;
            end
            else if (from_link) begin
                increments = increments | count_external_mc;
            end
            else begin
                increments = increments | count_local_mc;
            end
            if (from_link & (er == er_first_hop)) begin
                route = ((forward) & 24'hffffff);
                er_last = forward;
            end
            else begin
                if (kind == kind_fr) begin
                    normal_route = fr_route;
                end
                else if (table_hit) begin
                    normal_route = table_route;
                end
                else if (from_link) begin
                    normal_route = ((default_link) & 24'hffffff);
                    increments = increments | count_default_routed;
                end
                else begin
                    drop = 1'b1;
                    increments = increments | count_unroutable;
                end
                route = normal_route;
                if (from_link & (er == er_first_also_normal)) begin
                    route = normal_route | ((forward) & 24'hffffff);
                    er_last = forward;
                end
            end
        end
        else if (kind == kind_p2p) begin
            increments = increments | count_p2p;
            if (p2p_code == code_drop) begin
                drop = 1'b1;
                increments = increments | count_unroutable;
            end
            else if (p2p_code == code_monitor) begin
                route = monitor_route;
            end
            else begin
                code_link = one_link << ((p2p_code) & 6'h3f);
                route = ((code_link) & 24'hffffff);
            end
        end
        else begin
            increments = increments | count_nn;
            if (from_link | (nn_route >= first_core_code)) begin
                route = monitor_route;
            end
            else begin
                code_link = one_link << ((nn_route) & 6'h3f);
                route = ((code_link) & 24'hffffff);
            end
        end
        if (parity_ok & |override_route) begin
            drop = 1'b0;
            route = override_route;
            er_last = no_links;
            out_packet = packet;
            if ((kind == kind_mc) | (kind == kind_fr)) begin
                out_packet = normalised;
                if (er == er_last_hop) begin
                    er_last = override_route[(32'h0)+:(6)];
                end
            end
            increments = increments & type_counters;
        end
        counts = increments;
    end
    
endmodule // top$decision


module top$fixed_route(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$fixed_route


module top$lookup_override(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$lookup_override


module top$lookup_packet(d,q,clock);
    
    // Module arguments
    input wire  [71:0] d;
    output reg  [71:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 72'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$lookup_packet


module top$lookup_sent(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$lookup_sent


module top$lookup_source(d,q,clock);
    
    // Module arguments
    input wire  [4:0] d;
    output reg  [4:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 5'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$lookup_source


module top$lookup_valid(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$lookup_valid


module top$mc_table(clock,write_enable,write_index,write_key,write_mask,write_route,reset,lookup_valid,lookup_key,result_taken,result_valid,hit,route);
    
    // Module arguments
    input wire  clock;
    input wire  write_enable;
    input wire  [15:0] write_index;
    input wire  [31:0] write_key;
    input wire  [31:0] write_mask;
    input wire  [23:0] write_route;
    input wire  reset;
    input wire  lookup_valid;
    input wire  [31:0] lookup_key;
    input wire  result_taken;
    output reg  result_valid;
    output reg  hit;
    output reg  [23:0] route;
    
    // Constant declarations
    localparam  first_entry = 16'h1;
    localparam  entry_number$0 = 8'h0;
    localparam  entry_number$1 = 8'h1;
    localparam  entry_number$2 = 8'h2;
    localparam  entry_number$3 = 8'h3;
    localparam  entry_number$4 = 8'h4;
    localparam  entry_number$5 = 8'h5;
    localparam  entry_number$6 = 8'h6;
    localparam  entry_number$7 = 8'h7;
    localparam  entry_number$8 = 8'h8;
    localparam  entry_number$9 = 8'h9;
    localparam  entry_number$10 = 8'ha;
    localparam  entry_number$11 = 8'hb;
    localparam  entry_number$12 = 8'hc;
    localparam  entry_number$13 = 8'hd;
    localparam  entry_number$14 = 8'he;
    localparam  entry_number$15 = 8'hf;
    localparam  shift_below$0 = 8'h10;
    localparam  shift_below$1 = 8'hf;
    localparam  shift_below$2 = 8'he;
    localparam  shift_below$3 = 8'hd;
    localparam  shift_below$4 = 8'hc;
    localparam  shift_below$5 = 8'hb;
    localparam  shift_below$6 = 8'ha;
    localparam  shift_below$7 = 8'h9;
    localparam  shift_below$8 = 8'h8;
    localparam  shift_below$9 = 8'h7;
    localparam  shift_below$10 = 8'h6;
    localparam  shift_below$11 = 8'h5;
    localparam  shift_below$12 = 8'h4;
    localparam  shift_below$13 = 8'h3;
    localparam  shift_below$14 = 8'h2;
    localparam  shift_below$15 = 8'h1;
    localparam  no_entries = 16'h0;
    localparam  no_route = 24'h0;
    
    // Stub signals
    reg  [31:0] key_complement$0$d;
    wire  [31:0] key_complement$0$q;
    reg  key_complement$0$clock;
    reg  [31:0] key_complement$1$d;
    wire  [31:0] key_complement$1$q;
    reg  key_complement$1$clock;
    reg  [31:0] key_complement$2$d;
    wire  [31:0] key_complement$2$q;
    reg  key_complement$2$clock;
    reg  [31:0] key_complement$3$d;
    wire  [31:0] key_complement$3$q;
    reg  key_complement$3$clock;
    reg  [31:0] key_complement$4$d;
    wire  [31:0] key_complement$4$q;
    reg  key_complement$4$clock;
    reg  [31:0] key_complement$5$d;
    wire  [31:0] key_complement$5$q;
    reg  key_complement$5$clock;
    reg  [31:0] key_complement$6$d;
    wire  [31:0] key_complement$6$q;
    reg  key_complement$6$clock;
    reg  [31:0] key_complement$7$d;
    wire  [31:0] key_complement$7$q;
    reg  key_complement$7$clock;
    reg  [31:0] key_complement$8$d;
    wire  [31:0] key_complement$8$q;
    reg  key_complement$8$clock;
    reg  [31:0] key_complement$9$d;
    wire  [31:0] key_complement$9$q;
    reg  key_complement$9$clock;
    reg  [31:0] key_complement$10$d;
    wire  [31:0] key_complement$10$q;
    reg  key_complement$10$clock;
    reg  [31:0] key_complement$11$d;
    wire  [31:0] key_complement$11$q;
    reg  key_complement$11$clock;
    reg  [31:0] key_complement$12$d;
    wire  [31:0] key_complement$12$q;
    reg  key_complement$12$clock;
    reg  [31:0] key_complement$13$d;
    wire  [31:0] key_complement$13$q;
    reg  key_complement$13$clock;
    reg  [31:0] key_complement$14$d;
    wire  [31:0] key_complement$14$q;
    reg  key_complement$14$clock;
    reg  [31:0] key_complement$15$d;
    wire  [31:0] key_complement$15$q;
    reg  key_complement$15$clock;
    reg  [31:0] mask$0$d;
    wire  [31:0] mask$0$q;
    reg  mask$0$clock;
    reg  [31:0] mask$1$d;
    wire  [31:0] mask$1$q;
    reg  mask$1$clock;
    reg  [31:0] mask$2$d;
    wire  [31:0] mask$2$q;
    reg  mask$2$clock;
    reg  [31:0] mask$3$d;
    wire  [31:0] mask$3$q;
    reg  mask$3$clock;
    reg  [31:0] mask$4$d;
    wire  [31:0] mask$4$q;
    reg  mask$4$clock;
    reg  [31:0] mask$5$d;
    wire  [31:0] mask$5$q;
    reg  mask$5$clock;
    reg  [31:0] mask$6$d;
    wire  [31:0] mask$6$q;
    reg  mask$6$clock;
    reg  [31:0] mask$7$d;
    wire  [31:0] mask$7$q;
    reg  mask$7$clock;
    reg  [31:0] mask$8$d;
    wire  [31:0] mask$8$q;
    reg  mask$8$clock;
    reg  [31:0] mask$9$d;
    wire  [31:0] mask$9$q;
    reg  mask$9$clock;
    reg  [31:0] mask$10$d;
    wire  [31:0] mask$10$q;
    reg  mask$10$clock;
    reg  [31:0] mask$11$d;
    wire  [31:0] mask$11$q;
    reg  mask$11$clock;
    reg  [31:0] mask$12$d;
    wire  [31:0] mask$12$q;
    reg  mask$12$clock;
    reg  [31:0] mask$13$d;
    wire  [31:0] mask$13$q;
    reg  mask$13$clock;
    reg  [31:0] mask$14$d;
    wire  [31:0] mask$14$q;
    reg  mask$14$clock;
    reg  [31:0] mask$15$d;
    wire  [31:0] mask$15$q;
    reg  mask$15$clock;
    reg  [23:0] entry_route$0$d;
    wire  [23:0] entry_route$0$q;
    reg  entry_route$0$clock;
    reg  [23:0] entry_route$1$d;
    wire  [23:0] entry_route$1$q;
    reg  entry_route$1$clock;
    reg  [23:0] entry_route$2$d;
    wire  [23:0] entry_route$2$q;
    reg  entry_route$2$clock;
    reg  [23:0] entry_route$3$d;
    wire  [23:0] entry_route$3$q;
    reg  entry_route$3$clock;
    reg  [23:0] entry_route$4$d;
    wire  [23:0] entry_route$4$q;
    reg  entry_route$4$clock;
    reg  [23:0] entry_route$5$d;
    wire  [23:0] entry_route$5$q;
    reg  entry_route$5$clock;
    reg  [23:0] entry_route$6$d;
    wire  [23:0] entry_route$6$q;
    reg  entry_route$6$clock;
    reg  [23:0] entry_route$7$d;
    wire  [23:0] entry_route$7$q;
    reg  entry_route$7$clock;
    reg  [23:0] entry_route$8$d;
    wire  [23:0] entry_route$8$q;
    reg  entry_route$8$clock;
    reg  [23:0] entry_route$9$d;
    wire  [23:0] entry_route$9$q;
    reg  entry_route$9$clock;
    reg  [23:0] entry_route$10$d;
    wire  [23:0] entry_route$10$q;
    reg  entry_route$10$clock;
    reg  [23:0] entry_route$11$d;
    wire  [23:0] entry_route$11$q;
    reg  entry_route$11$clock;
    reg  [23:0] entry_route$12$d;
    wire  [23:0] entry_route$12$q;
    reg  entry_route$12$clock;
    reg  [23:0] entry_route$13$d;
    wire  [23:0] entry_route$13$q;
    reg  entry_route$13$clock;
    reg  [23:0] entry_route$14$d;
    wire  [23:0] entry_route$14$q;
    reg  entry_route$14$clock;
    reg  [23:0] entry_route$15$d;
    wire  [23:0] entry_route$15$q;
    reg  entry_route$15$clock;
    
    // Local signals
    reg  [15:0] matched;
    reg  [23:0] found_route;
    
    // Sub module instances
    top$mc_table$key_complement$0 key_complement$0(
        .d(key_complement$0$d),
        .q(key_complement$0$q),
        .clock(key_complement$0$clock)
    );
    top$mc_table$key_complement$1 key_complement$1(
        .d(key_complement$1$d),
        .q(key_complement$1$q),
        .clock(key_complement$1$clock)
    );
    top$mc_table$key_complement$2 key_complement$2(
        .d(key_complement$2$d),
        .q(key_complement$2$q),
        .clock(key_complement$2$clock)
    );
    top$mc_table$key_complement$3 key_complement$3(
        .d(key_complement$3$d),
        .q(key_complement$3$q),
        .clock(key_complement$3$clock)
    );
    top$mc_table$key_complement$4 key_complement$4(
        .d(key_complement$4$d),
        .q(key_complement$4$q),
        .clock(key_complement$4$clock)
    );
    top$mc_table$key_complement$5 key_complement$5(
        .d(key_complement$5$d),
        .q(key_complement$5$q),
        .clock(key_complement$5$clock)
    );
    top$mc_table$key_complement$6 key_complement$6(
        .d(key_complement$6$d),
        .q(key_complement$6$q),
        .clock(key_complement$6$clock)
    );
    top$mc_table$key_complement$7 key_complement$7(
        .d(key_complement$7$d),
        .q(key_complement$7$q),
        .clock(key_complement$7$clock)
    );
    top$mc_table$key_complement$8 key_complement$8(
        .d(key_complement$8$d),
        .q(key_complement$8$q),
        .clock(key_complement$8$clock)
    );
    top$mc_table$key_complement$9 key_complement$9(
        .d(key_complement$9$d),
        .q(key_complement$9$q),
        .clock(key_complement$9$clock)
    );
    top$mc_table$key_complement$10 key_complement$10(
        .d(key_complement$10$d),
        .q(key_complement$10$q),
        .clock(key_complement$10$clock)
    );
    top$mc_table$key_complement$11 key_complement$11(
        .d(key_complement$11$d),
        .q(key_complement$11$q),
        .clock(key_complement$11$clock)
    );
    top$mc_table$key_complement$12 key_complement$12(
        .d(key_complement$12$d),
        .q(key_complement$12$q),
        .clock(key_complement$12$clock)
    );
    top$mc_table$key_complement$13 key_complement$13(
        .d(key_complement$13$d),
        .q(key_complement$13$q),
        .clock(key_complement$13$clock)
    );
    top$mc_table$key_complement$14 key_complement$14(
        .d(key_complement$14$d),
        .q(key_complement$14$q),
        .clock(key_complement$14$clock)
    );
    top$mc_table$key_complement$15 key_complement$15(
        .d(key_complement$15$d),
        .q(key_complement$15$q),
        .clock(key_complement$15$clock)
    );
    top$mc_table$mask$0 mask$0(
        .d(mask$0$d),
        .q(mask$0$q),
        .clock(mask$0$clock)
    );
    top$mc_table$mask$1 mask$1(
        .d(mask$1$d),
        .q(mask$1$q),
        .clock(mask$1$clock)
    );
    top$mc_table$mask$2 mask$2(
        .d(mask$2$d),
        .q(mask$2$q),
        .clock(mask$2$clock)
    );
    top$mc_table$mask$3 mask$3(
        .d(mask$3$d),
        .q(mask$3$q),
        .clock(mask$3$clock)
    );
    top$mc_table$mask$4 mask$4(
        .d(mask$4$d),
        .q(mask$4$q),
        .clock(mask$4$clock)
    );
    top$mc_table$mask$5 mask$5(
        .d(mask$5$d),
        .q(mask$5$q),
        .clock(mask$5$clock)
    );
    top$mc_table$mask$6 mask$6(
        .d(mask$6$d),
        .q(mask$6$q),
        .clock(mask$6$clock)
    );
    top$mc_table$mask$7 mask$7(
        .d(mask$7$d),
        .q(mask$7$q),
        .clock(mask$7$clock)
    );
    top$mc_table$mask$8 mask$8(
        .d(mask$8$d),
        .q(mask$8$q),
        .clock(mask$8$clock)
    );
    top$mc_table$mask$9 mask$9(
        .d(mask$9$d),
        .q(mask$9$q),
        .clock(mask$9$clock)
    );
    top$mc_table$mask$10 mask$10(
        .d(mask$10$d),
        .q(mask$10$q),
        .clock(mask$10$clock)
    );
    top$mc_table$mask$11 mask$11(
        .d(mask$11$d),
        .q(mask$11$q),
        .clock(mask$11$clock)
    );
    top$mc_table$mask$12 mask$12(
        .d(mask$12$d),
        .q(mask$12$q),
        .clock(mask$12$clock)
    );
    top$mc_table$mask$13 mask$13(
        .d(mask$13$d),
        .q(mask$13$q),
        .clock(mask$13$clock)
    );
    top$mc_table$mask$14 mask$14(
        .d(mask$14$d),
        .q(mask$14$q),
        .clock(mask$14$clock)
    );
    top$mc_table$mask$15 mask$15(
        .d(mask$15$d),
        .q(mask$15$q),
        .clock(mask$15$clock)
    );
    top$mc_table$entry_route$0 entry_route$0(
        .d(entry_route$0$d),
        .q(entry_route$0$q),
        .clock(entry_route$0$clock)
    );
    top$mc_table$entry_route$1 entry_route$1(
        .d(entry_route$1$d),
        .q(entry_route$1$q),
        .clock(entry_route$1$clock)
    );
    top$mc_table$entry_route$2 entry_route$2(
        .d(entry_route$2$d),
        .q(entry_route$2$q),
        .clock(entry_route$2$clock)
    );
    top$mc_table$entry_route$3 entry_route$3(
        .d(entry_route$3$d),
        .q(entry_route$3$q),
        .clock(entry_route$3$clock)
    );
    top$mc_table$entry_route$4 entry_route$4(
        .d(entry_route$4$d),
        .q(entry_route$4$q),
        .clock(entry_route$4$clock)
    );
    top$mc_table$entry_route$5 entry_route$5(
        .d(entry_route$5$d),
        .q(entry_route$5$q),
        .clock(entry_route$5$clock)
    );
    top$mc_table$entry_route$6 entry_route$6(
        .d(entry_route$6$d),
        .q(entry_route$6$q),
        .clock(entry_route$6$clock)
    );
    top$mc_table$entry_route$7 entry_route$7(
        .d(entry_route$7$d),
        .q(entry_route$7$q),
        .clock(entry_route$7$clock)
    );
    top$mc_table$entry_route$8 entry_route$8(
        .d(entry_route$8$d),
        .q(entry_route$8$q),
        .clock(entry_route$8$clock)
    );
    top$mc_table$entry_route$9 entry_route$9(
        .d(entry_route$9$d),
        .q(entry_route$9$q),
        .clock(entry_route$9$clock)
    );
    top$mc_table$entry_route$10 entry_route$10(
        .d(entry_route$10$d),
        .q(entry_route$10$q),
        .clock(entry_route$10$clock)
    );
    top$mc_table$entry_route$11 entry_route$11(
        .d(entry_route$11$d),
        .q(entry_route$11$q),
        .clock(entry_route$11$clock)
    );
    top$mc_table$entry_route$12 entry_route$12(
        .d(entry_route$12$d),
        .q(entry_route$12$q),
        .clock(entry_route$12$clock)
    );
    top$mc_table$entry_route$13 entry_route$13(
        .d(entry_route$13$d),
        .q(entry_route$13$q),
        .clock(entry_route$13$clock)
    );
    top$mc_table$entry_route$14 entry_route$14(
        .d(entry_route$14$d),
        .q(entry_route$14$q),
        .clock(entry_route$14$clock)
    );
    top$mc_table$entry_route$15 entry_route$15(
        .d(entry_route$15$d),
        .q(entry_route$15$q),
        .clock(entry_route$15$clock)
    );
    
    // Update code
    always @(*) begin
        matched = no_entries;
        key_complement$0$clock = clock;
        mask$0$clock = clock;
        entry_route$0$clock = clock;
        key_complement$0$d = key_complement$0$q;
        mask$0$d = mask$0$q;
        entry_route$0$d = entry_route$0$q;
        if (write_enable & (write_index == 0)) begin
            key_complement$0$d = ~write_key;
            mask$0$d = write_mask;
            entry_route$0$d = write_route;
        end
        if ((lookup_key & mask$0$q) == ~key_complement$0$q) begin
            matched = matched | (first_entry << entry_number$0);
        end
        key_complement$1$clock = clock;
        mask$1$clock = clock;
        entry_route$1$clock = clock;
        key_complement$1$d = key_complement$1$q;
        mask$1$d = mask$1$q;
        entry_route$1$d = entry_route$1$q;
        if (write_enable & (write_index == 1)) begin
            key_complement$1$d = ~write_key;
            mask$1$d = write_mask;
            entry_route$1$d = write_route;
        end
        if ((lookup_key & mask$1$q) == ~key_complement$1$q) begin
            matched = matched | (first_entry << entry_number$1);
        end
        key_complement$2$clock = clock;
        mask$2$clock = clock;
        entry_route$2$clock = clock;
        key_complement$2$d = key_complement$2$q;
        mask$2$d = mask$2$q;
        entry_route$2$d = entry_route$2$q;
        if (write_enable & (write_index == 2)) begin
            key_complement$2$d = ~write_key;
            mask$2$d = write_mask;
            entry_route$2$d = write_route;
        end
        if ((lookup_key & mask$2$q) == ~key_complement$2$q) begin
            matched = matched | (first_entry << entry_number$2);
        end
        key_complement$3$clock = clock;
        mask$3$clock = clock;
        entry_route$3$clock = clock;
        key_complement$3$d = key_complement$3$q;
        mask$3$d = mask$3$q;
        entry_route$3$d = entry_route$3$q;
        if (write_enable & (write_index == 3)) begin
            key_complement$3$d = ~write_key;
            mask$3$d = write_mask;
            entry_route$3$d = write_route;
        end
        if ((lookup_key & mask$3$q) == ~key_complement$3$q) begin
            matched = matched | (first_entry << entry_number$3);
        end
        key_complement$4$clock = clock;
        mask$4$clock = clock;
        entry_route$4$clock = clock;
        key_complement$4$d = key_complement$4$q;
        mask$4$d = mask$4$q;
        entry_route$4$d = entry_route$4$q;
        if (write_enable & (write_index == 4)) begin
            key_complement$4$d = ~write_key;
            mask$4$d = write_mask;
            entry_route$4$d = write_route;
        end
        if ((lookup_key & mask$4$q) == ~key_complement$4$q) begin
            matched = matched | (first_entry << entry_number$4);
        end
        key_complement$5$clock = clock;
        mask$5$clock = clock;
        entry_route$5$clock = clock;
        key_complement$5$d = key_complement$5$q;
        mask$5$d = mask$5$q;
        entry_route$5$d = entry_route$5$q;
        if (write_enable & (write_index == 5)) begin
            key_complement$5$d = ~write_key;
            mask$5$d = write_mask;
            entry_route$5$d = write_route;
        end
        if ((lookup_key & mask$5$q) == ~key_complement$5$q) begin
            matched = matched | (first_entry << entry_number$5);
        end
        key_complement$6$clock = clock;
        mask$6$clock = clock;
        entry_route$6$clock = clock;
        key_complement$6$d = key_complement$6$q;
        mask$6$d = mask$6$q;
        entry_route$6$d = entry_route$6$q;
        if (write_enable & (write_index == 6)) begin
            key_complement$6$d = ~write_key;
            mask$6$d = write_mask;
            entry_route$6$d = write_route;
        end
        if ((lookup_key & mask$6$q) == ~key_complement$6$q) begin
            matched = matched | (first_entry << entry_number$6);
        end
        key_complement$7$clock = clock;
        mask$7$clock = clock;
        entry_route$7$clock = clock;
        key_complement$7$d = key_complement$7$q;
        mask$7$d = mask$7$q;
        entry_route$7$d = entry_route$7$q;
        if (write_enable & (write_index == 7)) begin
            key_complement$7$d = ~write_key;
            mask$7$d = write_mask;
            entry_route$7$d = write_route;
        end
        if ((lookup_key & mask$7$q) == ~key_complement$7$q) begin
            matched = matched | (first_entry << entry_number$7);
        end
        key_complement$8$clock = clock;
        mask$8$clock = clock;
        entry_route$8$clock = clock;
        key_complement$8$d = key_complement$8$q;
        mask$8$d = mask$8$q;
        entry_route$8$d = entry_route$8$q;
        if (write_enable & (write_index == 8)) begin
            key_complement$8$d = ~write_key;
            mask$8$d = write_mask;
            entry_route$8$d = write_route;
        end
        if ((lookup_key & mask$8$q) == ~key_complement$8$q) begin
            matched = matched | (first_entry << entry_number$8);
        end
        key_complement$9$clock = clock;
        mask$9$clock = clock;
        entry_route$9$clock = clock;
        key_complement$9$d = key_complement$9$q;
        mask$9$d = mask$9$q;
        entry_route$9$d = entry_route$9$q;
        if (write_enable & (write_index == 9)) begin
            key_complement$9$d = ~write_key;
            mask$9$d = write_mask;
            entry_route$9$d = write_route;
        end
        if ((lookup_key & mask$9$q) == ~key_complement$9$q) begin
            matched = matched | (first_entry << entry_number$9);
        end
        key_complement$10$clock = clock;
        mask$10$clock = clock;
        entry_route$10$clock = clock;
        key_complement$10$d = key_complement$10$q;
        mask$10$d = mask$10$q;
        entry_route$10$d = entry_route$10$q;
        if (write_enable & (write_index == 10)) begin
            key_complement$10$d = ~write_key;
            mask$10$d = write_mask;
            entry_route$10$d = write_route;
        end
        if ((lookup_key & mask$10$q) == ~key_complement$10$q) begin
            matched = matched | (first_entry << entry_number$10);
        end
        key_complement$11$clock = clock;
        mask$11$clock = clock;
        entry_route$11$clock = clock;
        key_complement$11$d = key_complement$11$q;
        mask$11$d = mask$11$q;
        entry_route$11$d = entry_route$11$q;
        if (write_enable & (write_index == 11)) begin
            key_complement$11$d = ~write_key;
            mask$11$d = write_mask;
            entry_route$11$d = write_route;
        end
        if ((lookup_key & mask$11$q) == ~key_complement$11$q) begin
            matched = matched | (first_entry << entry_number$11);
        end
        key_complement$12$clock = clock;
        mask$12$clock = clock;
        entry_route$12$clock = clock;
        key_complement$12$d = key_complement$12$q;
        mask$12$d = mask$12$q;
        entry_route$12$d = entry_route$12$q;
        if (write_enable & (write_index == 12)) begin
            key_complement$12$d = ~write_key;
            mask$12$d = write_mask;
            entry_route$12$d = write_route;
        end
        if ((lookup_key & mask$12$q) == ~key_complement$12$q) begin
            matched = matched | (first_entry << entry_number$12);
        end
        key_complement$13$clock = clock;
        mask$13$clock = clock;
        entry_route$13$clock = clock;
        key_complement$13$d = key_complement$13$q;
        mask$13$d = mask$13$q;
        entry_route$13$d = entry_route$13$q;
        if (write_enable & (write_index == 13)) begin
            key_complement$13$d = ~write_key;
            mask$13$d = write_mask;
            entry_route$13$d = write_route;
        end
        if ((lookup_key & mask$13$q) == ~key_complement$13$q) begin
            matched = matched | (first_entry << entry_number$13);
        end
        key_complement$14$clock = clock;
        mask$14$clock = clock;
        entry_route$14$clock = clock;
        key_complement$14$d = key_complement$14$q;
        mask$14$d = mask$14$q;
        entry_route$14$d = entry_route$14$q;
        if (write_enable & (write_index == 14)) begin
            key_complement$14$d = ~write_key;
            mask$14$d = write_mask;
            entry_route$14$d = write_route;
        end
        if ((lookup_key & mask$14$q) == ~key_complement$14$q) begin
            matched = matched | (first_entry << entry_number$14);
        end
        key_complement$15$clock = clock;
        mask$15$clock = clock;
        entry_route$15$clock = clock;
        key_complement$15$d = key_complement$15$q;
        mask$15$d = mask$15$q;
        entry_route$15$d = entry_route$15$q;
        if (write_enable & (write_index == 15)) begin
            key_complement$15$d = ~write_key;
            mask$15$d = write_mask;
            entry_route$15$d = write_route;
        end
        if ((lookup_key & mask$15$q) == ~key_complement$15$q) begin
            matched = matched | (first_entry << entry_number$15);
        end
        found_route = no_route;
        if (matched[0] & ~|(matched << shift_below$0)) begin
            found_route = found_route | entry_route$0$q;
        end
        if (matched[1] & ~|(matched << shift_below$1)) begin
            found_route = found_route | entry_route$1$q;
        end
        if (matched[2] & ~|(matched << shift_below$2)) begin
            found_route = found_route | entry_route$2$q;
        end
        if (matched[3] & ~|(matched << shift_below$3)) begin
            found_route = found_route | entry_route$3$q;
        end
        if (matched[4] & ~|(matched << shift_below$4)) begin
            found_route = found_route | entry_route$4$q;
        end
        if (matched[5] & ~|(matched << shift_below$5)) begin
            found_route = found_route | entry_route$5$q;
        end
        if (matched[6] & ~|(matched << shift_below$6)) begin
            found_route = found_route | entry_route$6$q;
        end
        if (matched[7] & ~|(matched << shift_below$7)) begin
            found_route = found_route | entry_route$7$q;
        end
        if (matched[8] & ~|(matched << shift_below$8)) begin
            found_route = found_route | entry_route$8$q;
        end
        if (matched[9] & ~|(matched << shift_below$9)) begin
            found_route = found_route | entry_route$9$q;
        end
        if (matched[10] & ~|(matched << shift_below$10)) begin
            found_route = found_route | entry_route$10$q;
        end
        if (matched[11] & ~|(matched << shift_below$11)) begin
            found_route = found_route | entry_route$11$q;
        end
        if (matched[12] & ~|(matched << shift_below$12)) begin
            found_route = found_route | entry_route$12$q;
        end
        if (matched[13] & ~|(matched << shift_below$13)) begin
            found_route = found_route | entry_route$13$q;
        end
        if (matched[14] & ~|(matched << shift_below$14)) begin
            found_route = found_route | entry_route$14$q;
        end
        if (matched[15] & ~|(matched << shift_below$15)) begin
            found_route = found_route | entry_route$15$q;
        end
        result_valid = lookup_valid & ~reset;
        hit = |matched;
        route = found_route;
    end
    
endmodule // top$mc_table


module top$mc_table$entry_route$0(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$0


module top$mc_table$entry_route$1(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$1


module top$mc_table$entry_route$10(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$10


module top$mc_table$entry_route$11(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$11


module top$mc_table$entry_route$12(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$12


module top$mc_table$entry_route$13(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$13


module top$mc_table$entry_route$14(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$14


module top$mc_table$entry_route$15(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$15


module top$mc_table$entry_route$2(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$2


module top$mc_table$entry_route$3(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$3


module top$mc_table$entry_route$4(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$4


module top$mc_table$entry_route$5(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$5


module top$mc_table$entry_route$6(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$6


module top$mc_table$entry_route$7(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$7


module top$mc_table$entry_route$8(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$8


module top$mc_table$entry_route$9(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$entry_route$9


module top$mc_table$key_complement$0(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$0


module top$mc_table$key_complement$1(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$1


module top$mc_table$key_complement$10(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$10


module top$mc_table$key_complement$11(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$11


module top$mc_table$key_complement$12(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$12


module top$mc_table$key_complement$13(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$13


module top$mc_table$key_complement$14(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$14


module top$mc_table$key_complement$15(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$15


module top$mc_table$key_complement$2(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$2


module top$mc_table$key_complement$3(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$3


module top$mc_table$key_complement$4(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$4


module top$mc_table$key_complement$5(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$5


module top$mc_table$key_complement$6(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$6


module top$mc_table$key_complement$7(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$7


module top$mc_table$key_complement$8(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$8


module top$mc_table$key_complement$9(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$key_complement$9


module top$mc_table$mask$0(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$0


module top$mc_table$mask$1(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$1


module top$mc_table$mask$10(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$10


module top$mc_table$mask$11(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$11


module top$mc_table$mask$12(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$12


module top$mc_table$mask$13(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$13


module top$mc_table$mask$14(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$14


module top$mc_table$mask$15(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$15


module top$mc_table$mask$2(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$2


module top$mc_table$mask$3(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$3


module top$mc_table$mask$4(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$4


module top$mc_table$mask$5(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$5


module top$mc_table$mask$6(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$6


module top$mc_table$mask$7(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$7


module top$mc_table$mask$8(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$8


module top$mc_table$mask$9(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$mc_table$mask$9


module top$p2p(clock,write_enable,write_index,write_code,read_chip,read_code);
    
    // Module arguments
    input wire  clock;
    input wire  write_enable;
    input wire  [15:0] write_index;
    input wire  [2:0] write_code;
    input wire  [15:0] read_chip;
    output reg  [2:0] read_code;
    
    // Constant declarations
    localparam  drop_code = 3'b110;
    localparam  coord_mask = 16'h7;
    localparam  coord_bits = 16'h3;
    localparam  no_code = 3'b0;
    
    // Stub signals
    reg  [2:0] stored$0$d;
    wire  [2:0] stored$0$q;
    reg  stored$0$clock;
    reg  [2:0] stored$1$d;
    wire  [2:0] stored$1$q;
    reg  stored$1$clock;
    reg  [2:0] stored$2$d;
    wire  [2:0] stored$2$q;
    reg  stored$2$clock;
    reg  [2:0] stored$3$d;
    wire  [2:0] stored$3$q;
    reg  stored$3$clock;
    reg  [2:0] stored$4$d;
    wire  [2:0] stored$4$q;
    reg  stored$4$clock;
    reg  [2:0] stored$5$d;
    wire  [2:0] stored$5$q;
    reg  stored$5$clock;
    reg  [2:0] stored$6$d;
    wire  [2:0] stored$6$q;
    reg  stored$6$clock;
    reg  [2:0] stored$7$d;
    wire  [2:0] stored$7$q;
    reg  stored$7$clock;
    reg  [2:0] stored$8$d;
    wire  [2:0] stored$8$q;
    reg  stored$8$clock;
    reg  [2:0] stored$9$d;
    wire  [2:0] stored$9$q;
    reg  stored$9$clock;
    reg  [2:0] stored$10$d;
    wire  [2:0] stored$10$q;
    reg  stored$10$clock;
    reg  [2:0] stored$11$d;
    wire  [2:0] stored$11$q;
    reg  stored$11$clock;
    reg  [2:0] stored$12$d;
    wire  [2:0] stored$12$q;
    reg  stored$12$clock;
    reg  [2:0] stored$13$d;
    wire  [2:0] stored$13$q;
    reg  stored$13$clock;
    reg  [2:0] stored$14$d;
    wire  [2:0] stored$14$q;
    reg  stored$14$clock;
    reg  [2:0] stored$15$d;
    wire  [2:0] stored$15$q;
    reg  stored$15$clock;
    reg  [2:0] stored$16$d;
    wire  [2:0] stored$16$q;
    reg  stored$16$clock;
    reg  [2:0] stored$17$d;
    wire  [2:0] stored$17$q;
    reg  stored$17$clock;
    reg  [2:0] stored$18$d;
    wire  [2:0] stored$18$q;
    reg  stored$18$clock;
    reg  [2:0] stored$19$d;
    wire  [2:0] stored$19$q;
    reg  stored$19$clock;
    reg  [2:0] stored$20$d;
    wire  [2:0] stored$20$q;
    reg  stored$20$clock;
    reg  [2:0] stored$21$d;
    wire  [2:0] stored$21$q;
    reg  stored$21$clock;
    reg  [2:0] stored$22$d;
    wire  [2:0] stored$22$q;
    reg  stored$22$clock;
    reg  [2:0] stored$23$d;
    wire  [2:0] stored$23$q;
    reg  stored$23$clock;
    reg  [2:0] stored$24$d;
    wire  [2:0] stored$24$q;
    reg  stored$24$clock;
    reg  [2:0] stored$25$d;
    wire  [2:0] stored$25$q;
    reg  stored$25$clock;
    reg  [2:0] stored$26$d;
    wire  [2:0] stored$26$q;
    reg  stored$26$clock;
    reg  [2:0] stored$27$d;
    wire  [2:0] stored$27$q;
    reg  stored$27$clock;
    reg  [2:0] stored$28$d;
    wire  [2:0] stored$28$q;
    reg  stored$28$clock;
    reg  [2:0] stored$29$d;
    wire  [2:0] stored$29$q;
    reg  stored$29$clock;
    reg  [2:0] stored$30$d;
    wire  [2:0] stored$30$q;
    reg  stored$30$clock;
    reg  [2:0] stored$31$d;
    wire  [2:0] stored$31$q;
    reg  stored$31$clock;
    reg  [2:0] stored$32$d;
    wire  [2:0] stored$32$q;
    reg  stored$32$clock;
    reg  [2:0] stored$33$d;
    wire  [2:0] stored$33$q;
    reg  stored$33$clock;
    reg  [2:0] stored$34$d;
    wire  [2:0] stored$34$q;
    reg  stored$34$clock;
    reg  [2:0] stored$35$d;
    wire  [2:0] stored$35$q;
    reg  stored$35$clock;
    reg  [2:0] stored$36$d;
    wire  [2:0] stored$36$q;
    reg  stored$36$clock;
    reg  [2:0] stored$37$d;
    wire  [2:0] stored$37$q;
    reg  stored$37$clock;
    reg  [2:0] stored$38$d;
    wire  [2:0] stored$38$q;
    reg  stored$38$clock;
    reg  [2:0] stored$39$d;
    wire  [2:0] stored$39$q;
    reg  stored$39$clock;
    reg  [2:0] stored$40$d;
    wire  [2:0] stored$40$q;
    reg  stored$40$clock;
    reg  [2:0] stored$41$d;
    wire  [2:0] stored$41$q;
    reg  stored$41$clock;
    reg  [2:0] stored$42$d;
    wire  [2:0] stored$42$q;
    reg  stored$42$clock;
    reg  [2:0] stored$43$d;
    wire  [2:0] stored$43$q;
    reg  stored$43$clock;
    reg  [2:0] stored$44$d;
    wire  [2:0] stored$44$q;
    reg  stored$44$clock;
    reg  [2:0] stored$45$d;
    wire  [2:0] stored$45$q;
    reg  stored$45$clock;
    reg  [2:0] stored$46$d;
    wire  [2:0] stored$46$q;
    reg  stored$46$clock;
    reg  [2:0] stored$47$d;
    wire  [2:0] stored$47$q;
    reg  stored$47$clock;
    reg  [2:0] stored$48$d;
    wire  [2:0] stored$48$q;
    reg  stored$48$clock;
    reg  [2:0] stored$49$d;
    wire  [2:0] stored$49$q;
    reg  stored$49$clock;
    reg  [2:0] stored$50$d;
    wire  [2:0] stored$50$q;
    reg  stored$50$clock;
    reg  [2:0] stored$51$d;
    wire  [2:0] stored$51$q;
    reg  stored$51$clock;
    reg  [2:0] stored$52$d;
    wire  [2:0] stored$52$q;
    reg  stored$52$clock;
    reg  [2:0] stored$53$d;
    wire  [2:0] stored$53$q;
    reg  stored$53$clock;
    reg  [2:0] stored$54$d;
    wire  [2:0] stored$54$q;
    reg  stored$54$clock;
    reg  [2:0] stored$55$d;
    wire  [2:0] stored$55$q;
    reg  stored$55$clock;
    reg  [2:0] stored$56$d;
    wire  [2:0] stored$56$q;
    reg  stored$56$clock;
    reg  [2:0] stored$57$d;
    wire  [2:0] stored$57$q;
    reg  stored$57$clock;
    reg  [2:0] stored$58$d;
    wire  [2:0] stored$58$q;
    reg  stored$58$clock;
    reg  [2:0] stored$59$d;
    wire  [2:0] stored$59$q;
    reg  stored$59$clock;
    reg  [2:0] stored$60$d;
    wire  [2:0] stored$60$q;
    reg  stored$60$clock;
    reg  [2:0] stored$61$d;
    wire  [2:0] stored$61$q;
    reg  stored$61$clock;
    reg  [2:0] stored$62$d;
    wire  [2:0] stored$62$q;
    reg  stored$62$clock;
    reg  [2:0] stored$63$d;
    wire  [2:0] stored$63$q;
    reg  stored$63$clock;
    
    // Local signals
    reg  [15:0] read_index;
    reg  [2:0] read_stored;
    
    // Sub module instances
    top$p2p$stored$0 stored$0(
        .d(stored$0$d),
        .q(stored$0$q),
        .clock(stored$0$clock)
    );
    top$p2p$stored$1 stored$1(
        .d(stored$1$d),
        .q(stored$1$q),
        .clock(stored$1$clock)
    );
    top$p2p$stored$2 stored$2(
        .d(stored$2$d),
        .q(stored$2$q),
        .clock(stored$2$clock)
    );
    top$p2p$stored$3 stored$3(
        .d(stored$3$d),
        .q(stored$3$q),
        .clock(stored$3$clock)
    );
    top$p2p$stored$4 stored$4(
        .d(stored$4$d),
        .q(stored$4$q),
        .clock(stored$4$clock)
    );
    top$p2p$stored$5 stored$5(
        .d(stored$5$d),
        .q(stored$5$q),
        .clock(stored$5$clock)
    );
    top$p2p$stored$6 stored$6(
        .d(stored$6$d),
        .q(stored$6$q),
        .clock(stored$6$clock)
    );
    top$p2p$stored$7 stored$7(
        .d(stored$7$d),
        .q(stored$7$q),
        .clock(stored$7$clock)
    );
    top$p2p$stored$8 stored$8(
        .d(stored$8$d),
        .q(stored$8$q),
        .clock(stored$8$clock)
    );
    top$p2p$stored$9 stored$9(
        .d(stored$9$d),
        .q(stored$9$q),
        .clock(stored$9$clock)
    );
    top$p2p$stored$10 stored$10(
        .d(stored$10$d),
        .q(stored$10$q),
        .clock(stored$10$clock)
    );
    top$p2p$stored$11 stored$11(
        .d(stored$11$d),
        .q(stored$11$q),
        .clock(stored$11$clock)
    );
    top$p2p$stored$12 stored$12(
        .d(stored$12$d),
        .q(stored$12$q),
        .clock(stored$12$clock)
    );
    top$p2p$stored$13 stored$13(
        .d(stored$13$d),
        .q(stored$13$q),
        .clock(stored$13$clock)
    );
    top$p2p$stored$14 stored$14(
        .d(stored$14$d),
        .q(stored$14$q),
        .clock(stored$14$clock)
    );
    top$p2p$stored$15 stored$15(
        .d(stored$15$d),
        .q(stored$15$q),
        .clock(stored$15$clock)
    );
    top$p2p$stored$16 stored$16(
        .d(stored$16$d),
        .q(stored$16$q),
        .clock(stored$16$clock)
    );
    top$p2p$stored$17 stored$17(
        .d(stored$17$d),
        .q(stored$17$q),
        .clock(stored$17$clock)
    );
    top$p2p$stored$18 stored$18(
        .d(stored$18$d),
        .q(stored$18$q),
        .clock(stored$18$clock)
    );
    top$p2p$stored$19 stored$19(
        .d(stored$19$d),
        .q(stored$19$q),
        .clock(stored$19$clock)
    );
    top$p2p$stored$20 stored$20(
        .d(stored$20$d),
        .q(stored$20$q),
        .clock(stored$20$clock)
    );
    top$p2p$stored$21 stored$21(
        .d(stored$21$d),
        .q(stored$21$q),
        .clock(stored$21$clock)
    );
    top$p2p$stored$22 stored$22(
        .d(stored$22$d),
        .q(stored$22$q),
        .clock(stored$22$clock)
    );
    top$p2p$stored$23 stored$23(
        .d(stored$23$d),
        .q(stored$23$q),
        .clock(stored$23$clock)
    );
    top$p2p$stored$24 stored$24(
        .d(stored$24$d),
        .q(stored$24$q),
        .clock(stored$24$clock)
    );
    top$p2p$stored$25 stored$25(
        .d(stored$25$d),
        .q(stored$25$q),
        .clock(stored$25$clock)
    );
    top$p2p$stored$26 stored$26(
        .d(stored$26$d),
        .q(stored$26$q),
        .clock(stored$26$clock)
    );
    top$p2p$stored$27 stored$27(
        .d(stored$27$d),
        .q(stored$27$q),
        .clock(stored$27$clock)
    );
    top$p2p$stored$28 stored$28(
        .d(stored$28$d),
        .q(stored$28$q),
        .clock(stored$28$clock)
    );
    top$p2p$stored$29 stored$29(
        .d(stored$29$d),
        .q(stored$29$q),
        .clock(stored$29$clock)
    );
    top$p2p$stored$30 stored$30(
        .d(stored$30$d),
        .q(stored$30$q),
        .clock(stored$30$clock)
    );
    top$p2p$stored$31 stored$31(
        .d(stored$31$d),
        .q(stored$31$q),
        .clock(stored$31$clock)
    );
    top$p2p$stored$32 stored$32(
        .d(stored$32$d),
        .q(stored$32$q),
        .clock(stored$32$clock)
    );
    top$p2p$stored$33 stored$33(
        .d(stored$33$d),
        .q(stored$33$q),
        .clock(stored$33$clock)
    );
    top$p2p$stored$34 stored$34(
        .d(stored$34$d),
        .q(stored$34$q),
        .clock(stored$34$clock)
    );
    top$p2p$stored$35 stored$35(
        .d(stored$35$d),
        .q(stored$35$q),
        .clock(stored$35$clock)
    );
    top$p2p$stored$36 stored$36(
        .d(stored$36$d),
        .q(stored$36$q),
        .clock(stored$36$clock)
    );
    top$p2p$stored$37 stored$37(
        .d(stored$37$d),
        .q(stored$37$q),
        .clock(stored$37$clock)
    );
    top$p2p$stored$38 stored$38(
        .d(stored$38$d),
        .q(stored$38$q),
        .clock(stored$38$clock)
    );
    top$p2p$stored$39 stored$39(
        .d(stored$39$d),
        .q(stored$39$q),
        .clock(stored$39$clock)
    );
    top$p2p$stored$40 stored$40(
        .d(stored$40$d),
        .q(stored$40$q),
        .clock(stored$40$clock)
    );
    top$p2p$stored$41 stored$41(
        .d(stored$41$d),
        .q(stored$41$q),
        .clock(stored$41$clock)
    );
    top$p2p$stored$42 stored$42(
        .d(stored$42$d),
        .q(stored$42$q),
        .clock(stored$42$clock)
    );
    top$p2p$stored$43 stored$43(
        .d(stored$43$d),
        .q(stored$43$q),
        .clock(stored$43$clock)
    );
    top$p2p$stored$44 stored$44(
        .d(stored$44$d),
        .q(stored$44$q),
        .clock(stored$44$clock)
    );
    top$p2p$stored$45 stored$45(
        .d(stored$45$d),
        .q(stored$45$q),
        .clock(stored$45$clock)
    );
    top$p2p$stored$46 stored$46(
        .d(stored$46$d),
        .q(stored$46$q),
        .clock(stored$46$clock)
    );
    top$p2p$stored$47 stored$47(
        .d(stored$47$d),
        .q(stored$47$q),
        .clock(stored$47$clock)
    );
    top$p2p$stored$48 stored$48(
        .d(stored$48$d),
        .q(stored$48$q),
        .clock(stored$48$clock)
    );
    top$p2p$stored$49 stored$49(
        .d(stored$49$d),
        .q(stored$49$q),
        .clock(stored$49$clock)
    );
    top$p2p$stored$50 stored$50(
        .d(stored$50$d),
        .q(stored$50$q),
        .clock(stored$50$clock)
    );
    top$p2p$stored$51 stored$51(
        .d(stored$51$d),
        .q(stored$51$q),
        .clock(stored$51$clock)
    );
    top$p2p$stored$52 stored$52(
        .d(stored$52$d),
        .q(stored$52$q),
        .clock(stored$52$clock)
    );
    top$p2p$stored$53 stored$53(
        .d(stored$53$d),
        .q(stored$53$q),
        .clock(stored$53$clock)
    );
    top$p2p$stored$54 stored$54(
        .d(stored$54$d),
        .q(stored$54$q),
        .clock(stored$54$clock)
    );
    top$p2p$stored$55 stored$55(
        .d(stored$55$d),
        .q(stored$55$q),
        .clock(stored$55$clock)
    );
    top$p2p$stored$56 stored$56(
        .d(stored$56$d),
        .q(stored$56$q),
        .clock(stored$56$clock)
    );
    top$p2p$stored$57 stored$57(
        .d(stored$57$d),
        .q(stored$57$q),
        .clock(stored$57$clock)
    );
    top$p2p$stored$58 stored$58(
        .d(stored$58$d),
        .q(stored$58$q),
        .clock(stored$58$clock)
    );
    top$p2p$stored$59 stored$59(
        .d(stored$59$d),
        .q(stored$59$q),
        .clock(stored$59$clock)
    );
    top$p2p$stored$60 stored$60(
        .d(stored$60$d),
        .q(stored$60$q),
        .clock(stored$60$clock)
    );
    top$p2p$stored$61 stored$61(
        .d(stored$61$d),
        .q(stored$61$q),
        .clock(stored$61$clock)
    );
    top$p2p$stored$62 stored$62(
        .d(stored$62$d),
        .q(stored$62$q),
        .clock(stored$62$clock)
    );
    top$p2p$stored$63 stored$63(
        .d(stored$63$d),
        .q(stored$63$q),
        .clock(stored$63$clock)
    );
    
    // Update code
    always @(*) begin
        read_index = (((read_chip >> 32'h8) & coord_mask) << coord_bits) | (read_chip & coord_mask);
        read_stored = no_code;
        stored$0$clock = clock;
        stored$0$d = stored$0$q;
        if (write_enable & (write_index == 0)) begin
            stored$0$d = write_code ^ drop_code;
        end
        if (read_index == 0) begin
            read_stored = read_stored | stored$0$q;
        end
        stored$1$clock = clock;
        stored$1$d = stored$1$q;
        if (write_enable & (write_index == 1)) begin
            stored$1$d = write_code ^ drop_code;
        end
        if (read_index == 1) begin
            read_stored = read_stored | stored$1$q;
        end
        stored$2$clock = clock;
        stored$2$d = stored$2$q;
        if (write_enable & (write_index == 2)) begin
            stored$2$d = write_code ^ drop_code;
        end
        if (read_index == 2) begin
            read_stored = read_stored | stored$2$q;
        end
        stored$3$clock = clock;
        stored$3$d = stored$3$q;
        if (write_enable & (write_index == 3)) begin
            stored$3$d = write_code ^ drop_code;
        end
        if (read_index == 3) begin
            read_stored = read_stored | stored$3$q;
        end
        stored$4$clock = clock;
        stored$4$d = stored$4$q;
        if (write_enable & (write_index == 4)) begin
            stored$4$d = write_code ^ drop_code;
        end
        if (read_index == 4) begin
            read_stored = read_stored | stored$4$q;
        end
        stored$5$clock = clock;
        stored$5$d = stored$5$q;
        if (write_enable & (write_index == 5)) begin
            stored$5$d = write_code ^ drop_code;
        end
        if (read_index == 5) begin
            read_stored = read_stored | stored$5$q;
        end
        stored$6$clock = clock;
        stored$6$d = stored$6$q;
        if (write_enable & (write_index == 6)) begin
            stored$6$d = write_code ^ drop_code;
        end
        if (read_index == 6) begin
            read_stored = read_stored | stored$6$q;
        end
        stored$7$clock = clock;
        stored$7$d = stored$7$q;
        if (write_enable & (write_index == 7)) begin
            stored$7$d = write_code ^ drop_code;
        end
        if (read_index == 7) begin
            read_stored = read_stored | stored$7$q;
        end
        stored$8$clock = clock;
        stored$8$d = stored$8$q;
        if (write_enable & (write_index == 8)) begin
            stored$8$d = write_code ^ drop_code;
        end
        if (read_index == 8) begin
            read_stored = read_stored | stored$8$q;
        end
        stored$9$clock = clock;
        stored$9$d = stored$9$q;
        if (write_enable & (write_index == 9)) begin
            stored$9$d = write_code ^ drop_code;
        end
        if (read_index == 9) begin
            read_stored = read_stored | stored$9$q;
        end
        stored$10$clock = clock;
        stored$10$d = stored$10$q;
        if (write_enable & (write_index == 10)) begin
            stored$10$d = write_code ^ drop_code;
        end
        if (read_index == 10) begin
            read_stored = read_stored | stored$10$q;
        end
        stored$11$clock = clock;
        stored$11$d = stored$11$q;
        if (write_enable & (write_index == 11)) begin
            stored$11$d = write_code ^ drop_code;
        end
        if (read_index == 11) begin
            read_stored = read_stored | stored$11$q;
        end
        stored$12$clock = clock;
        stored$12$d = stored$12$q;
        if (write_enable & (write_index == 12)) begin
            stored$12$d = write_code ^ drop_code;
        end
        if (read_index == 12) begin
            read_stored = read_stored | stored$12$q;
        end
        stored$13$clock = clock;
        stored$13$d = stored$13$q;
        if (write_enable & (write_index == 13)) begin
            stored$13$d = write_code ^ drop_code;
        end
        if (read_index == 13) begin
            read_stored = read_stored | stored$13$q;
        end
        stored$14$clock = clock;
        stored$14$d = stored$14$q;
        if (write_enable & (write_index == 14)) begin
            stored$14$d = write_code ^ drop_code;
        end
        if (read_index == 14) begin
            read_stored = read_stored | stored$14$q;
        end
        stored$15$clock = clock;
        stored$15$d = stored$15$q;
        if (write_enable & (write_index == 15)) begin
            stored$15$d = write_code ^ drop_code;
        end
        if (read_index == 15) begin
            read_stored = read_stored | stored$15$q;
        end
        stored$16$clock = clock;
        stored$16$d = stored$16$q;
        if (write_enable & (write_index == 16)) begin
            stored$16$d = write_code ^ drop_code;
        end
        if (read_index == 16) begin
            read_stored = read_stored | stored$16$q;
        end
        stored$17$clock = clock;
        stored$17$d = stored$17$q;
        if (write_enable & (write_index == 17)) begin
            stored$17$d = write_code ^ drop_code;
        end
        if (read_index == 17) begin
            read_stored = read_stored | stored$17$q;
        end
        stored$18$clock = clock;
        stored$18$d = stored$18$q;
        if (write_enable & (write_index == 18)) begin
            stored$18$d = write_code ^ drop_code;
        end
        if (read_index == 18) begin
            read_stored = read_stored | stored$18$q;
        end
        stored$19$clock = clock;
        stored$19$d = stored$19$q;
        if (write_enable & (write_index == 19)) begin
            stored$19$d = write_code ^ drop_code;
        end
        if (read_index == 19) begin
            read_stored = read_stored | stored$19$q;
        end
        stored$20$clock = clock;
        stored$20$d = stored$20$q;
        if (write_enable & (write_index == 20)) begin
            stored$20$d = write_code ^ drop_code;
        end
        if (read_index == 20) begin
            read_stored = read_stored | stored$20$q;
        end
        stored$21$clock = clock;
        stored$21$d = stored$21$q;
        if (write_enable & (write_index == 21)) begin
            stored$21$d = write_code ^ drop_code;
        end
        if (read_index == 21) begin
            read_stored = read_stored | stored$21$q;
        end
        stored$22$clock = clock;
        stored$22$d = stored$22$q;
        if (write_enable & (write_index == 22)) begin
            stored$22$d = write_code ^ drop_code;
        end
        if (read_index == 22) begin
            read_stored = read_stored | stored$22$q;
        end
        stored$23$clock = clock;
        stored$23$d = stored$23$q;
        if (write_enable & (write_index == 23)) begin
            stored$23$d = write_code ^ drop_code;
        end
        if (read_index == 23) begin
            read_stored = read_stored | stored$23$q;
        end
        stored$24$clock = clock;
        stored$24$d = stored$24$q;
        if (write_enable & (write_index == 24)) begin
            stored$24$d = write_code ^ drop_code;
        end
        if (read_index == 24) begin
            read_stored = read_stored | stored$24$q;
        end
        stored$25$clock = clock;
        stored$25$d = stored$25$q;
        if (write_enable & (write_index == 25)) begin
            stored$25$d = write_code ^ drop_code;
        end
        if (read_index == 25) begin
            read_stored = read_stored | stored$25$q;
        end
        stored$26$clock = clock;
        stored$26$d = stored$26$q;
        if (write_enable & (write_index == 26)) begin
            stored$26$d = write_code ^ drop_code;
        end
        if (read_index == 26) begin
            read_stored = read_stored | stored$26$q;
        end
        stored$27$clock = clock;
        stored$27$d = stored$27$q;
        if (write_enable & (write_index == 27)) begin
            stored$27$d = write_code ^ drop_code;
        end
        if (read_index == 27) begin
            read_stored = read_stored | stored$27$q;
        end
        stored$28$clock = clock;
        stored$28$d = stored$28$q;
        if (write_enable & (write_index == 28)) begin
            stored$28$d = write_code ^ drop_code;
        end
        if (read_index == 28) begin
            read_stored = read_stored | stored$28$q;
        end
        stored$29$clock = clock;
        stored$29$d = stored$29$q;
        if (write_enable & (write_index == 29)) begin
            stored$29$d = write_code ^ drop_code;
        end
        if (read_index == 29) begin
            read_stored = read_stored | stored$29$q;
        end
        stored$30$clock = clock;
        stored$30$d = stored$30$q;
        if (write_enable & (write_index == 30)) begin
            stored$30$d = write_code ^ drop_code;
        end
        if (read_index == 30) begin
            read_stored = read_stored | stored$30$q;
        end
        stored$31$clock = clock;
        stored$31$d = stored$31$q;
        if (write_enable & (write_index == 31)) begin
            stored$31$d = write_code ^ drop_code;
        end
        if (read_index == 31) begin
            read_stored = read_stored | stored$31$q;
        end
        stored$32$clock = clock;
        stored$32$d = stored$32$q;
        if (write_enable & (write_index == 32)) begin
            stored$32$d = write_code ^ drop_code;
        end
        if (read_index == 32) begin
            read_stored = read_stored | stored$32$q;
        end
        stored$33$clock = clock;
        stored$33$d = stored$33$q;
        if (write_enable & (write_index == 33)) begin
            stored$33$d = write_code ^ drop_code;
        end
        if (read_index == 33) begin
            read_stored = read_stored | stored$33$q;
        end
        stored$34$clock = clock;
        stored$34$d = stored$34$q;
        if (write_enable & (write_index == 34)) begin
            stored$34$d = write_code ^ drop_code;
        end
        if (read_index == 34) begin
            read_stored = read_stored | stored$34$q;
        end
        stored$35$clock = clock;
        stored$35$d = stored$35$q;
        if (write_enable & (write_index == 35)) begin
            stored$35$d = write_code ^ drop_code;
        end
        if (read_index == 35) begin
            read_stored = read_stored | stored$35$q;
        end
        stored$36$clock = clock;
        stored$36$d = stored$36$q;
        if (write_enable & (write_index == 36)) begin
            stored$36$d = write_code ^ drop_code;
        end
        if (read_index == 36) begin
            read_stored = read_stored | stored$36$q;
        end
        stored$37$clock = clock;
        stored$37$d = stored$37$q;
        if (write_enable & (write_index == 37)) begin
            stored$37$d = write_code ^ drop_code;
        end
        if (read_index == 37) begin
            read_stored = read_stored | stored$37$q;
        end
        stored$38$clock = clock;
        stored$38$d = stored$38$q;
        if (write_enable & (write_index == 38)) begin
            stored$38$d = write_code ^ drop_code;
        end
        if (read_index == 38) begin
            read_stored = read_stored | stored$38$q;
        end
        stored$39$clock = clock;
        stored$39$d = stored$39$q;
        if (write_enable & (write_index == 39)) begin
            stored$39$d = write_code ^ drop_code;
        end
        if (read_index == 39) begin
            read_stored = read_stored | stored$39$q;
        end
        stored$40$clock = clock;
        stored$40$d = stored$40$q;
        if (write_enable & (write_index == 40)) begin
            stored$40$d = write_code ^ drop_code;
        end
        if (read_index == 40) begin
            read_stored = read_stored | stored$40$q;
        end
        stored$41$clock = clock;
        stored$41$d = stored$41$q;
        if (write_enable & (write_index == 41)) begin
            stored$41$d = write_code ^ drop_code;
        end
        if (read_index == 41) begin
            read_stored = read_stored | stored$41$q;
        end
        stored$42$clock = clock;
        stored$42$d = stored$42$q;
        if (write_enable & (write_index == 42)) begin
            stored$42$d = write_code ^ drop_code;
        end
        if (read_index == 42) begin
            read_stored = read_stored | stored$42$q;
        end
        stored$43$clock = clock;
        stored$43$d = stored$43$q;
        if (write_enable & (write_index == 43)) begin
            stored$43$d = write_code ^ drop_code;
        end
        if (read_index == 43) begin
            read_stored = read_stored | stored$43$q;
        end
        stored$44$clock = clock;
        stored$44$d = stored$44$q;
        if (write_enable & (write_index == 44)) begin
            stored$44$d = write_code ^ drop_code;
        end
        if (read_index == 44) begin
            read_stored = read_stored | stored$44$q;
        end
        stored$45$clock = clock;
        stored$45$d = stored$45$q;
        if (write_enable & (write_index == 45)) begin
            stored$45$d = write_code ^ drop_code;
        end
        if (read_index == 45) begin
            read_stored = read_stored | stored$45$q;
        end
        stored$46$clock = clock;
        stored$46$d = stored$46$q;
        if (write_enable & (write_index == 46)) begin
            stored$46$d = write_code ^ drop_code;
        end
        if (read_index == 46) begin
            read_stored = read_stored | stored$46$q;
        end
        stored$47$clock = clock;
        stored$47$d = stored$47$q;
        if (write_enable & (write_index == 47)) begin
            stored$47$d = write_code ^ drop_code;
        end
        if (read_index == 47) begin
            read_stored = read_stored | stored$47$q;
        end
        stored$48$clock = clock;
        stored$48$d = stored$48$q;
        if (write_enable & (write_index == 48)) begin
            stored$48$d = write_code ^ drop_code;
        end
        if (read_index == 48) begin
            read_stored = read_stored | stored$48$q;
        end
        stored$49$clock = clock;
        stored$49$d = stored$49$q;
        if (write_enable & (write_index == 49)) begin
            stored$49$d = write_code ^ drop_code;
        end
        if (read_index == 49) begin
            read_stored = read_stored | stored$49$q;
        end
        stored$50$clock = clock;
        stored$50$d = stored$50$q;
        if (write_enable & (write_index == 50)) begin
            stored$50$d = write_code ^ drop_code;
        end
        if (read_index == 50) begin
            read_stored = read_stored | stored$50$q;
        end
        stored$51$clock = clock;
        stored$51$d = stored$51$q;
        if (write_enable & (write_index == 51)) begin
            stored$51$d = write_code ^ drop_code;
        end
        if (read_index == 51) begin
            read_stored = read_stored | stored$51$q;
        end
        stored$52$clock = clock;
        stored$52$d = stored$52$q;
        if (write_enable & (write_index == 52)) begin
            stored$52$d = write_code ^ drop_code;
        end
        if (read_index == 52) begin
            read_stored = read_stored | stored$52$q;
        end
        stored$53$clock = clock;
        stored$53$d = stored$53$q;
        if (write_enable & (write_index == 53)) begin
            stored$53$d = write_code ^ drop_code;
        end
        if (read_index == 53) begin
            read_stored = read_stored | stored$53$q;
        end
        stored$54$clock = clock;
        stored$54$d = stored$54$q;
        if (write_enable & (write_index == 54)) begin
            stored$54$d = write_code ^ drop_code;
        end
        if (read_index == 54) begin
            read_stored = read_stored | stored$54$q;
        end
        stored$55$clock = clock;
        stored$55$d = stored$55$q;
        if (write_enable & (write_index == 55)) begin
            stored$55$d = write_code ^ drop_code;
        end
        if (read_index == 55) begin
            read_stored = read_stored | stored$55$q;
        end
        stored$56$clock = clock;
        stored$56$d = stored$56$q;
        if (write_enable & (write_index == 56)) begin
            stored$56$d = write_code ^ drop_code;
        end
        if (read_index == 56) begin
            read_stored = read_stored | stored$56$q;
        end
        stored$57$clock = clock;
        stored$57$d = stored$57$q;
        if (write_enable & (write_index == 57)) begin
            stored$57$d = write_code ^ drop_code;
        end
        if (read_index == 57) begin
            read_stored = read_stored | stored$57$q;
        end
        stored$58$clock = clock;
        stored$58$d = stored$58$q;
        if (write_enable & (write_index == 58)) begin
            stored$58$d = write_code ^ drop_code;
        end
        if (read_index == 58) begin
            read_stored = read_stored | stored$58$q;
        end
        stored$59$clock = clock;
        stored$59$d = stored$59$q;
        if (write_enable & (write_index == 59)) begin
            stored$59$d = write_code ^ drop_code;
        end
        if (read_index == 59) begin
            read_stored = read_stored | stored$59$q;
        end
        stored$60$clock = clock;
        stored$60$d = stored$60$q;
        if (write_enable & (write_index == 60)) begin
            stored$60$d = write_code ^ drop_code;
        end
        if (read_index == 60) begin
            read_stored = read_stored | stored$60$q;
        end
        stored$61$clock = clock;
        stored$61$d = stored$61$q;
        if (write_enable & (write_index == 61)) begin
            stored$61$d = write_code ^ drop_code;
        end
        if (read_index == 61) begin
            read_stored = read_stored | stored$61$q;
        end
        stored$62$clock = clock;
        stored$62$d = stored$62$q;
        if (write_enable & (write_index == 62)) begin
            stored$62$d = write_code ^ drop_code;
        end
        if (read_index == 62) begin
            read_stored = read_stored | stored$62$q;
        end
        stored$63$clock = clock;
        stored$63$d = stored$63$q;
        if (write_enable & (write_index == 63)) begin
            stored$63$d = write_code ^ drop_code;
        end
        if (read_index == 63) begin
            read_stored = read_stored | stored$63$q;
        end
        read_code = read_stored ^ drop_code;
    end
    
endmodule // top$p2p


module top$p2p$stored$0(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$0


module top$p2p$stored$1(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$1


module top$p2p$stored$10(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$10


module top$p2p$stored$11(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$11


module top$p2p$stored$12(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$12


module top$p2p$stored$13(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$13


module top$p2p$stored$14(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$14


module top$p2p$stored$15(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$15


module top$p2p$stored$16(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$16


module top$p2p$stored$17(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$17


module top$p2p$stored$18(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$18


module top$p2p$stored$19(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$19


module top$p2p$stored$2(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$2


module top$p2p$stored$20(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$20


module top$p2p$stored$21(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$21


module top$p2p$stored$22(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$22


module top$p2p$stored$23(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$23


module top$p2p$stored$24(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$24


module top$p2p$stored$25(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$25


module top$p2p$stored$26(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$26


module top$p2p$stored$27(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$27


module top$p2p$stored$28(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$28


module top$p2p$stored$29(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$29


module top$p2p$stored$3(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$3


module top$p2p$stored$30(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$30


module top$p2p$stored$31(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$31


module top$p2p$stored$32(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$32


module top$p2p$stored$33(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$33


module top$p2p$stored$34(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$34


module top$p2p$stored$35(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$35


module top$p2p$stored$36(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$36


module top$p2p$stored$37(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$37


module top$p2p$stored$38(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$38


module top$p2p$stored$39(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$39


module top$p2p$stored$4(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$4


module top$p2p$stored$40(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$40


module top$p2p$stored$41(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$41


module top$p2p$stored$42(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$42


module top$p2p$stored$43(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$43


module top$p2p$stored$44(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$44


module top$p2p$stored$45(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$45


module top$p2p$stored$46(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$46


module top$p2p$stored$47(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$47


module top$p2p$stored$48(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$48


module top$p2p$stored$49(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$49


module top$p2p$stored$5(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$5


module top$p2p$stored$50(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$50


module top$p2p$stored$51(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$51


module top$p2p$stored$52(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$52


module top$p2p$stored$53(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$53


module top$p2p$stored$54(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$54


module top$p2p$stored$55(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$55


module top$p2p$stored$56(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$56


module top$p2p$stored$57(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$57


module top$p2p$stored$58(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$58


module top$p2p$stored$59(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$59


module top$p2p$stored$6(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$6


module top$p2p$stored$60(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$60


module top$p2p$stored$61(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$61


module top$p2p$stored$62(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$62


module top$p2p$stored$63(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$63


module top$p2p$stored$7(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$7


module top$p2p$stored$8(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$8


module top$p2p$stored$9(d,q,clock);
    
    // Module arguments
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 3'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$p2p$stored$9


module top$stage(clock,reset,in_valid,in_ready,in_packet,in_source,in_route,in_er_last,wait1,wait2,wait1_next,wait2_next,out_valid,out_ready,link_packet$0,link_packet$1,link_packet$2,link_packet$3,link_packet$4,link_packet$5,core_packet,dump_clear,dump_header,dump_key,dump_payload,dump_outputs,dump_status,events,busy);
    
    // Module arguments
    input wire  clock;
    input wire  reset;
    input wire  in_valid;
    output reg  in_ready;
    input wire  [71:0] in_packet;
    input wire  [4:0] in_source;
    input wire  [23:0] in_route;
    input wire  [5:0] in_er_last;
    input wire  [7:0] wait1;
    input wire  [7:0] wait2;
    input wire  [7:0] wait1_next;
    input wire  [7:0] wait2_next;
    output reg  [23:0] out_valid;
    input wire  [23:0] out_ready;
    output reg  [71:0] link_packet$0;
    output reg  [71:0] link_packet$1;
    output reg  [71:0] link_packet$2;
    output reg  [71:0] link_packet$3;
    output reg  [71:0] link_packet$4;
    output reg  [71:0] link_packet$5;
    output reg  [71:0] core_packet;
    input wire  dump_clear;
    output reg  [15:0] dump_header;
    output reg  [31:0] dump_key;
    output reg  [31:0] dump_payload;
    output reg  [23:0] dump_outputs;
    output reg  [31:0] dump_status;
    output reg  [11:0] events;
    output reg  busy;
    
    // Constant declarations
    localparam  rotate_clockwise = 1'b1;
    localparam  never = 8'hff;
    localparam  core_outputs = 24'hffffc0;
    localparam  mark_first_hop = 72'h21;
    localparam  mark_last_hop = 72'h30;
    localparam  dumped_flag = 32'h80000000;
    localparam  last_leg_flag = 16'h2000;
    localparam  source_shift = 16'h8;
    localparam  overflow_flag = 32'h40000000;
    localparam  no_outputs = 24'h0;
    localparam  no_links = 6'b0;
    localparam  no_events = 12'h0;
    localparam  wait_start = 20'h0;
    localparam  wait_step = 20'h1;
    localparam  count_dumped_mc = 12'h20;
    localparam  count_dumped_other = 12'h40;
    localparam  count_emergency_routed = 12'h400;
    localparam  count_dump_overflow = 12'h800;
    
    // Stub signals
    reg  held$d;
    wire  held$q;
    reg  held$clock;
    reg  [71:0] packet$d;
    wire  [71:0] packet$q;
    reg  packet$clock;
    reg  [4:0] source$d;
    wire  [4:0] source$q;
    reg  source$clock;
    reg  [23:0] pending$d;
    wire  [23:0] pending$q;
    reg  pending$clock;
    reg  [5:0] er_first$d;
    wire  [5:0] er_first$q;
    reg  er_first$clock;
    reg  [5:0] er_last$d;
    wire  [5:0] er_last$q;
    reg  er_last$clock;
    reg  in_wait2$d;
    wire  in_wait2$q;
    reg  in_wait2$clock;
    reg  [19:0] wait_count$d;
    wire  [19:0] wait_count$q;
    reg  wait_count$clock;
    reg  [19:0] limit1$d;
    wire  [19:0] limit1$q;
    reg  limit1$clock;
    reg  [19:0] limit2$d;
    wire  [19:0] limit2$q;
    reg  limit2$clock;
    reg  [15:0] dumped_header$d;
    wire  [15:0] dumped_header$q;
    reg  dumped_header$clock;
    reg  [31:0] dumped_key$d;
    wire  [31:0] dumped_key$q;
    reg  dumped_key$clock;
    reg  [31:0] dumped_payload$d;
    wire  [31:0] dumped_payload$q;
    reg  dumped_payload$clock;
    reg  [23:0] dumped_outputs$d;
    wire  [23:0] dumped_outputs$q;
    reg  dumped_outputs$clock;
    reg  [31:0] status$d;
    wire  [31:0] status$q;
    reg  status$clock;
    reg  [7:0] next_limit1$setting;
    wire  [19:0] next_limit1$limit;
    reg  [7:0] next_limit2$setting;
    wire  [19:0] next_limit2$limit;
    
    // Local signals
    reg  [7:0] wait_setting;
    reg  infinite;
    reg  [19:0] phase_limit;
    reg  [23:0] remaining;
    reg  [5:0] remaining_links;
    reg  [5:0] rotated;
    reg  [5:0] detoured;
    reg  [5:0] undetoured;
    reg  [23:0] undelivered;
    reg  blocked;
    reg  expire;
    reg  finishing;
    reg  emergency_ok;
    reg  [31:0] status_base;
    reg  [11:0] event_bits;
    
    // Sub module instances
    top$stage$held held(
        .d(held$d),
        .q(held$q),
        .clock(held$clock)
    );
    top$stage$packet packet(
        .d(packet$d),
        .q(packet$q),
        .clock(packet$clock)
    );
    top$stage$source source(
        .d(source$d),
        .q(source$q),
        .clock(source$clock)
    );
    top$stage$pending pending(
        .d(pending$d),
        .q(pending$q),
        .clock(pending$clock)
    );
    top$stage$er_first er_first(
        .d(er_first$d),
        .q(er_first$q),
        .clock(er_first$clock)
    );
    top$stage$er_last er_last(
        .d(er_last$d),
        .q(er_last$q),
        .clock(er_last$clock)
    );
    top$stage$in_wait2 in_wait2(
        .d(in_wait2$d),
        .q(in_wait2$q),
        .clock(in_wait2$clock)
    );
    top$stage$wait_count wait_count(
        .d(wait_count$d),
        .q(wait_count$q),
        .clock(wait_count$clock)
    );
    top$stage$limit1 limit1(
        .d(limit1$d),
        .q(limit1$q),
        .clock(limit1$clock)
    );
    top$stage$limit2 limit2(
        .d(limit2$d),
        .q(limit2$q),
        .clock(limit2$clock)
    );
    top$stage$dumped_header dumped_header(
        .d(dumped_header$d),
        .q(dumped_header$q),
        .clock(dumped_header$clock)
    );
    top$stage$dumped_key dumped_key(
        .d(dumped_key$d),
        .q(dumped_key$q),
        .clock(dumped_key$clock)
    );
    top$stage$dumped_payload dumped_payload(
        .d(dumped_payload$d),
        .q(dumped_payload$q),
        .clock(dumped_payload$clock)
    );
    top$stage$dumped_outputs dumped_outputs(
        .d(dumped_outputs$d),
        .q(dumped_outputs$q),
        .clock(dumped_outputs$clock)
    );
    top$stage$status status(
        .d(status$d),
        .q(status$q),
        .clock(status$clock)
    );
    top$stage$next_limit1 next_limit1(
        .setting(next_limit1$setting),
        .limit(next_limit1$limit)
    );
    top$stage$next_limit2 next_limit2(
        .setting(next_limit2$setting),
        .limit(next_limit2$limit)
    );
    
    // Update code
    always @(*) begin
        held$clock = clock;
        packet$clock = clock;
        source$clock = clock;
        pending$clock = clock;
        er_first$clock = clock;
        er_last$clock = clock;
        in_wait2$clock = clock;
        wait_count$clock = clock;
        limit1$clock = clock;
        limit2$clock = clock;
        dumped_header$clock = clock;
        dumped_key$clock = clock;
        dumped_payload$clock = clock;
        dumped_outputs$clock = clock;
        status$clock = clock;
        held$d = held$q;
        packet$d = packet$q;
        source$d = source$q;
        pending$d = pending$q;
        er_first$d = er_first$q;
        er_last$d = er_last$q;
        in_wait2$d = in_wait2$q;
        wait_count$d = wait_count$q;
        limit1$d = limit1$q;
        limit2$d = limit2$q;
        dumped_header$d = dumped_header$q;
        dumped_key$d = dumped_key$q;
        dumped_payload$d = dumped_payload$q;
        dumped_outputs$d = dumped_outputs$q;
        status$d = status$q;
        wait_setting = wait1;
        if (in_wait2$q) begin
            wait_setting = wait2;
        end
        infinite = wait_setting == never;
        phase_limit = limit1$q;
        if (in_wait2$q) begin
            phase_limit = limit2$q;
        end
        next_limit1$setting = wait1_next;
        next_limit2$setting = wait2_next;
        limit1$d = next_limit1$limit;
        limit2$d = next_limit2$limit;
        remaining = pending$q & ~out_ready;
        blocked = held$q & |remaining;
        expire = blocked & ~infinite & (wait_count$q >= phase_limit);
        finishing = held$q & (~|remaining | (expire & in_wait2$q));
        in_ready = ~held$q | finishing;
        out_valid = no_outputs;
        if (held$q) begin
            out_valid = pending$q;
        end
        link_packet$0 = packet$q;
        if (er_first$q[0]) begin
            link_packet$0 = packet$q ^ mark_first_hop;
        end
        if (er_last$q[0]) begin
            link_packet$0 = packet$q ^ mark_last_hop;
        end
        link_packet$1 = packet$q;
        if (er_first$q[1]) begin
            link_packet$1 = packet$q ^ mark_first_hop;
        end
        if (er_last$q[1]) begin
            link_packet$1 = packet$q ^ mark_last_hop;
        end
        link_packet$2 = packet$q;
        if (er_first$q[2]) begin
            link_packet$2 = packet$q ^ mark_first_hop;
        end
        if (er_last$q[2]) begin
            link_packet$2 = packet$q ^ mark_last_hop;
        end
        link_packet$3 = packet$q;
        if (er_first$q[3]) begin
            link_packet$3 = packet$q ^ mark_first_hop;
        end
        if (er_last$q[3]) begin
            link_packet$3 = packet$q ^ mark_last_hop;
        end
        link_packet$4 = packet$q;
        if (er_first$q[4]) begin
            link_packet$4 = packet$q ^ mark_first_hop;
        end
        if (er_last$q[4]) begin
            link_packet$4 = packet$q ^ mark_last_hop;
        end
        link_packet$5 = packet$q;
        if (er_first$q[5]) begin
            link_packet$5 = packet$q ^ mark_first_hop;
        end
        if (er_last$q[5]) begin
            link_packet$5 = packet$q ^ mark_last_hop;
        end
        core_packet = packet$q;
        remaining_links = remaining[(32'h0)+:(6)];
        if (rotate_clockwise) begin
            rotated = (remaining_links >> 32'h1) | (remaining_links << 32'h5);
        end
        else begin
            rotated = (remaining_links << 32'h1) | (remaining_links >> 32'h5);
        end
        detoured = remaining_links & er_first$q;
        if (rotate_clockwise) begin
            undetoured = (detoured << 32'h1) | (detoured >> 32'h5);
        end
        else begin
            undetoured = (detoured >> 32'h1) | (detoured << 32'h5);
        end
        undelivered = (remaining & ~((detoured) & 24'hffffff)) | ((undetoured) & 24'hffffff);
        emergency_ok = (packet$q[32'h7] == packet$q[32'h6]) & ~|er_first$q & ~|er_last$q & |remaining_links;
        event_bits = no_events;
        status_base = status$q;
        if (dump_clear) begin
            status_base = 32'h0;
        end
        status$d = status_base;
        if (blocked) begin
            pending$d = remaining;
            wait_count$d = wait_count$q + wait_step;
            if (expire) begin
                wait_count$d = wait_start;
                if (in_wait2$q) begin
                    held$d = 1'b0;
                    if (status_base[32'h1f]) begin
                        status$d = status_base | overflow_flag | ((undelivered) & 32'hffffffff);
                        event_bits = event_bits | count_dump_overflow;
                    end
                    else begin
                        dumped_header$d = ((packet$q[(32'h0)+:(8)]) & 16'hffff) | (((source$q) & 16'hffff) << source_shift);
                        if (|er_last$q) begin
                            dumped_header$d = ((packet$q[(32'h0)+:(8)]) & 16'hffff) | (((source$q) & 16'hffff) << source_shift) | last_leg_flag;
                        end
                        dumped_key$d = packet$q[(32'h8)+:(32)];
                        dumped_payload$d = packet$q[(32'h28)+:(32)];
                        dumped_outputs$d = undelivered;
                        status$d = status_base | dumped_flag | ((undelivered) & 32'hffffffff);
                    end
                    if (packet$q[32'h7] | packet$q[32'h6]) begin
                        event_bits = event_bits | count_dumped_other;
                    end
                    else begin
                        event_bits = event_bits | count_dumped_mc;
                    end
                end
                else begin
                    in_wait2$d = 1'b1;
                    if (emergency_ok) begin
                        pending$d = (remaining & core_outputs) | ((rotated) & 24'hffffff);
                        er_first$d = rotated;
                        event_bits = event_bits | count_emergency_routed;
                    end
                end
            end
        end
        else if (held$q) begin
            held$d = 1'b0;
        end
        if (in_valid & in_ready) begin
            held$d = 1'b1;
            packet$d = in_packet;
            source$d = in_source;
            pending$d = in_route;
            er_first$d = no_links;
            er_last$d = in_er_last;
            in_wait2$d = 1'b0;
            wait_count$d = wait_start;
        end
        if (reset) begin
            held$d = 1'b0;
            pending$d = no_outputs;
            in_wait2$d = 1'b0;
            wait_count$d = wait_start;
            status$d = 32'h0;
        end
        events = event_bits;
        busy = held$q;
        dump_header = dumped_header$q;
        dump_key = dumped_key$q;
        dump_payload = dumped_payload$q;
        dump_outputs = dumped_outputs$q;
        dump_status = status$q;
    end
    
endmodule // top$stage


module top$stage$dumped_header(d,q,clock);
    
    // Module arguments
    input wire  [15:0] d;
    output reg  [15:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 16'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage$dumped_header


module top$stage$dumped_key(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage$dumped_key


module top$stage$dumped_outputs(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage$dumped_outputs


module top$stage$dumped_payload(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage$dumped_payload


module top$stage$er_first(d,q,clock);
    
    // Module arguments
    input wire  [5:0] d;
    output reg  [5:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 6'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage$er_first


module top$stage$er_last(d,q,clock);
    
    // Module arguments
    input wire  [5:0] d;
    output reg  [5:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 6'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage$er_last


module top$stage$held(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage$held


module top$stage$in_wait2(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage$in_wait2


module top$stage$limit1(d,q,clock);
    
    // Module arguments
    input wire  [19:0] d;
    output reg  [19:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 20'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage$limit1


module top$stage$limit2(d,q,clock);
    
    // Module arguments
    input wire  [19:0] d;
    output reg  [19:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 20'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage$limit2


module top$stage$next_limit1(setting,limit);
    
    // Module arguments
    input wire  [7:0] setting;
    output reg  [19:0] limit;
    
    // Constant declarations
    localparam  sixteen = 20'h10;
    localparam  four = 20'h4;
    
    // Local signals
    reg  [19:0] mantissa;
    reg  [19:0] exponent;
    
    // Update code
    always @(*) begin
        mantissa = ((setting[(32'h0)+:(4)]) & 20'hfffff) + sixteen;
        exponent = ((setting[(32'h4)+:(4)]) & 20'hfffff);
        limit = mantissa << exponent;
        if (exponent <= four) begin
            limit = (mantissa << exponent) - sixteen;
        end
    end
    
endmodule // top$stage$next_limit1


module top$stage$next_limit2(setting,limit);
    
    // Module arguments
    input wire  [7:0] setting;
    output reg  [19:0] limit;
    
    // Constant declarations
    localparam  sixteen = 20'h10;
    localparam  four = 20'h4;
    
    // Local signals
    reg  [19:0] mantissa;
    reg  [19:0] exponent;
    
    // Update code
    always @(*) begin
        mantissa = ((setting[(32'h0)+:(4)]) & 20'hfffff) + sixteen;
        exponent = ((setting[(32'h4)+:(4)]) & 20'hfffff);
        limit = mantissa << exponent;
        if (exponent <= four) begin
            limit = (mantissa << exponent) - sixteen;
        end
    end
    
endmodule // top$stage$next_limit2


module top$stage$packet(d,q,clock);
    
    // Module arguments
    input wire  [71:0] d;
    output reg  [71:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 72'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage$packet


module top$stage$pending(d,q,clock);
    
    // Module arguments
    input wire  [23:0] d;
    output reg  [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage$pending


module top$stage$source(d,q,clock);
    
    // Module arguments
    input wire  [4:0] d;
    output reg  [4:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 5'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage$source


module top$stage$status(d,q,clock);
    
    // Module arguments
    input wire  [31:0] d;
    output reg  [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage$status


module top$stage$wait_count(d,q,clock);
    
    // Module arguments
    input wire  [19:0] d;
    output reg  [19:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 20'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage$wait_count


module top$stage_waited(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$stage_waited
