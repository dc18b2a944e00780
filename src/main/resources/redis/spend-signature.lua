-- spend-signature (Admission, every callback not opened under an EncodingAESKey): a signed request is good once.
-- Its signature does not cover the body, so the record holds a digest of the body: WeChat re-sending a message may
-- reuse the very same signed query string with the very same body; any other body under it is a replay, and locks
-- the record. (A body opened under a key had msg_signature checked over it: de-duplication is enough there.)
-- KEYS[1] the signed request's replay record
-- ARGV[1] the digest of the request's body   ARGV[2] the record's ttl (s)
-- Returns 'first' (recorded now), 'again' (this body was seen under it: a re-delivery) or 'replay'.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 'first' end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 'again' end
redis.call('SET', KEYS[1], 'locked', 'KEEPTTL')
return 'replay'
