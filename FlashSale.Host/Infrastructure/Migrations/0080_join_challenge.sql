-- A sale may ask each join of its line for a proof of work (Sales/JoinChallenge.cs): SHA-256 over sale id, user id and a
-- nonce with this many leading zero bits. 0 = no challenge, as before.
alter table flash_sales add column join_challenge_bits int not null default 0;
