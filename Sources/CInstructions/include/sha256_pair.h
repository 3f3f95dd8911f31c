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

#endif
