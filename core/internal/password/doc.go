// Package password hashes and checks passwords with argon2id. Each hash carries its own
// random salt and the parameters it was made with, in the PHC string format
// ("$argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>"), so parameters can be raised later
// without invalidating existing hashes (NeedsRehash tells when to upgrade one).
//
// Comparisons are constant-time. VerifyDummy spends the same work as a real check, so a
// login for an unknown email costs the same time as one with a wrong password. A
// semaphore bounds concurrent hashing, because each one holds Params.MemoryKiB of memory.
package password
