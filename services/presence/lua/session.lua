-- A login's session: cc:session:<sha256 of the token>, expiring.
-- KEYS: outbox, ''. ARGV: session key, staff_id, role, ttl_ms. -> 1
redis.call('HSET', arg(1), 'staff_id', arg(2), 'role', arg(3), 'created_ms', ARGV[2])
redis.call('PEXPIRE', arg(1), arg(4))
return 1
