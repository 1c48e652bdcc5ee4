-- Offers follow availability (R8.1, R8.2): run when presence reports that a
-- staff member's status or activity changed.
-- KEYS: outbox, ''. ARGV: cutoff, staff_id. -> number of offers changed
return reconcile(arg(2))
