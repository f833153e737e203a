// Drain, reroute and rebalance through the HAProxy runtime API.
import { z } from 'zod';

export const trafficActionSchema = z.object({
  /** HAProxy stats socket with `level admin`. */
  haproxySocket: z.string().min(1),
  backend: z.string().min(1),
});
