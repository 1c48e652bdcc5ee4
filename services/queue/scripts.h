/*
 * scripts: every state change of an enquiry is one of these Lua scripts,
 * run atomically by Redis. So two staff answering at the same instant
 * cannot both win, and two queue replicas cannot both time out the same
 * enquiry. Keys (see README.md):
 *
 *   cc:enq:<id>                hash of the enquiry (fields below)
 *   cc:enq:<id>:offered        set of staff it is offered to
 *   cc:staff:<sid>:pending     set of enquiry ids in the staff member's panel
 *   cc:enq:deadlines           zset id -> deadline ms of pending enquiries
 *   cc:group:<gid>:waiting     set of pending broadcast enquiries of a group
 *   cc:staff:<sid>:direct      set of pending direct enquiries for a staff member
 *   cc:followups               zset sid -> end of follow-up (to offer again then)
 *   cc:enq:<id>:chat           list of cc.ChatMessage (protobuf), oldest first
 *
 * Fields of cc:enq:<id> beyond the cc.Enquiry ones: visitor (SHA-256 of the
 * visitor token), wait_set (the waiting set it is in while offered), xfer
 * ("blind" | "consult" while a transfer waits for a taker), xfer_from (its
 * sender), transfers (JSON array of cc.Transfer, the history).
 *
 * They read the directory mirror (cc:dir:*) and presence (cc:presence:*).
 */
#ifndef QUEUE_SCRIPTS_H
#define QUEUE_SCRIPTS_H

/* ARGV: id, kind (call|chat), channel_id, caller, now_ms, fresh_cutoff_ms,
 *       visitor_token_hash, ttl_s
 * -> {"no_channel"} | {state, mode, deadline_ms, staff...} */
extern const char *const queue_lua_create;
/* Answers a pending enquiry, or accepts a consult transfer (the sender leaves).
 * ARGV: id, staff_id, now_ms, room_id
 * -> {"not_found"} | {"not_offered"} | {"taken", answered_by, state}
 *  | {"won", transfer mode or "", transfer sender or "", offered...} */
extern const char *const queue_lua_answer;
/* Deadlines due: a pending enquiry ends missed|voicemail; a transfer nobody
 * took goes back to its sender.
 * ARGV: now_ms, limit, fresh_cutoff_ms
 * -> { {id, "missed"|"voicemail", withdrawn staff...}
 *    | {id, "returned", sender, "1" if offered to them again, withdrawn staff...}, ... } */
extern const char *const queue_lua_expire;
/* ARGV: id, actor ("staff:<sid>" | "visitor"), now_ms, followup_ms
 * -> {"not_found"} | {"not_yours"} | {"already", state}
 *  | {"cancelled"|"ended", answered_by or "", staff whose panel it leaves...} */
extern const char *const queue_lua_end;
/* ARGV: staff_id -> flat list of pending enquiry hashes: {n, k1, v1, ..., n, ...} */
extern const char *const queue_lua_pending;
/* Offers the waiting enquiries of the staff member's groups (and the direct
 * ones for them) that they can receive now and were not offered; withdraws
 * those they can no longer receive (R8.1, R8.2).
 * ARGV: staff_id, now_ms, fresh_cutoff_ms -> {n_offered, offered..., withdrawn...} */
extern const char *const queue_lua_reconcile;
/* ARGV: id, message bytes, ttl_s -> {"not_found"} | {"closed", state} | {"ok", answered_by}
 * Appends to cc:enq:<id>:chat (the last 1000 are kept) while the room is open. */
extern const char *const queue_lua_chat;
/* ARGV: now_ms, limit -> staff ids whose follow-up ended (to reconcile) */
extern const char *const queue_lua_followups;
/* Transfer (R14) of an active enquiry by the staff member handling it to a
 * staff member or a group, offered to those of the target who can take it
 * now (never the sender). Blind: the enquiry is pending again for the target
 * and the sender is free at once; consult: the sender keeps it until someone
 * accepts (queue_lua_answer). The wait is the channel's for the target mode.
 * ARGV: id, sender, to_staff_id, to_group_id ("" for the other), "blind"|"consult",
 *       now_ms, fresh_cutoff_ms, ttl_s
 * -> {"not_found"} | {"not_yours"} | {"not_active", state} | {"in_progress"}
 *  | {"no_group"} | {"no_staff"} | {"self"} | {"nobody"} | {"ok", offered...} */
extern const char *const queue_lua_transfer;
/* The sender cancels their consult transfer: they keep the enquiry.
 * ARGV: id, sender, now_ms, fresh_cutoff_ms
 * -> {"not_found"} | {"not_yours"} | {"no_transfer"} | {"returned", sender, "0", withdrawn...} */
extern const char *const queue_lua_transfer_cancel;
/* The staff member who handled an ended enquiry closes it (follow-up done);
 * for a call whose follow-up is still running, that ends the follow-up.
 * ARGV: id, staff_id, now_ms
 * -> {"not_found"} | {"not_yours"} | {"not_ended", state} | {"closed", "1" if follow-up ended} */
extern const char *const queue_lua_close;

#endif
