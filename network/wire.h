/* Big-endian fields, as the packets ccompose writes carry them (DNS
   messages, the bridge probe's frame).  */
#ifndef CC_NETWORK_WIRE_H
#define CC_NETWORK_WIRE_H

#include <stdint.h>

static inline uint16_t
cc_get16 (const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
cc_put16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static inline void
cc_put32 (uint8_t *p, uint32_t v)
{
  cc_put16 (p, (uint16_t)(v >> 16));
  cc_put16 (p + 2, (uint16_t)v);
}

#endif
