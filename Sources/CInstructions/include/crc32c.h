#ifndef TAILTOWN_CRC32C_H
#define TAILTOWN_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C with the processor's instruction (SSE 4.2 on x86-64), for WAL record checksums.
   The register is PostgreSQL's pg_crc32c before its final inversion. */

/* 1 when tailtown_crc32c_update may be called on this processor, 0 otherwise. */
int tailtown_crc32c_available(void);

/* Folds `count` bytes at `bytes` into `crc`; only when tailtown_crc32c_available() is 1. */
uint32_t tailtown_crc32c_update(uint32_t crc, const void *bytes, size_t count);

#endif
