-- token (AccessTokens): the cached access token with how long it has left, in one step.
-- KEYS[1] the account's token
-- Returns {} when none is cached, else {token, milliseconds left}.
local token = redis.call('GET', KEYS[1])
if not token then return {} end
return {token, tostring(redis.call('PTTL', KEYS[1]))}
