/* The guest kernel and initramfs linked into the binary (build/embed.S, made by the Makefile). */
#ifndef KAGE_VMM_EMBED_H
#define KAGE_VMM_EMBED_H

#include <stdint.h>

extern const uint8_t kage_kernel_start[], kage_kernel_end[];
extern const uint8_t kage_initrd_start[], kage_initrd_end[];

#endif
