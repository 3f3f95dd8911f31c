#ifndef TAILTOWN_SHA256_PAIR_H
#define TAILTOWN_SHA256_PAIR_H

#include <stddef.h>
#include <stdint.h>

/* SHA-256 of two messages of the same length at once, with the processor's SHA instructions
   (x86-64 SHA extensions). One message at a time waits on each round's result; two interleaved
   keep the unit busy, about 1.4 times the throughput of OpenSSL's one-message code on the same
   instructions. For the original digest's tree, whose 1 MiB leaves come in pairs. */

/* 1 when tailtown_sha256_pair may be called on this processor, 0 otherwise. */
int tailtown_sha256_pair_available(void);

/* Writes SHA-256(first[0..<count]) to first_digest and SHA-256(second[0..<count]) to
   second_digest (32 bytes each); only when tailtown_sha256_pair_available() is 1. */
void tailtown_sha256_pair(const void *first, const void *second, size_t count,
                          uint8_t first_digest[32], uint8_t second_digest[32]);

/* HMAC-SHA256 with the same instructions. tailtown_hmac_sha256_key writes the key's inner and outer states (the
   compressions of the key's 64-byte block, zero-padded, XOR 0x36 and XOR 0x5c) to states[0..<8] and
   states[8..<16]; tailtown_hmac_sha256_pair then writes HMAC(key, first[0..<count]) to first_mac and
   HMAC(key, second[0..<count]) to second_mac. A key longer than 64 bytes is its SHA-256 digest here, as RFC 2104
   says. Only when tailtown_sha256_pair_available() is 1. */
void tailtown_hmac_sha256_key(const uint8_t key[64], uint32_t states[16]);
void tailtown_hmac_sha256_pair(const uint32_t states[16], const void *first, const void *second, size_t count,
                               uint8_t first_mac[32], uint8_t second_mac[32]);

#endif
