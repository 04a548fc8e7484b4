// The forecast a dry-run plan and a status carry (domain/forecast.ts), as the OpenAPI document shows it.
import { z } from 'zod';

const seconds = z.number().meta({ description: 'seconds, to a tenth' });
const timing = z.object({ p50: seconds, p90: seconds });
const time = z.string().meta({ format: 'date-time', example: '2025-01-01T02:00:00.000Z' });

export const ForecastSchema = z
  .object({
    expectedSeconds: seconds.meta({
      description:
        "from the operation's start (now, for a plan) to its expected end; manual approvals and pauses not yet over are not counted",
    }),
    expectedEndAt: time.meta({ description: 'asOf plus the seconds still expected' }),
    asOf: time.meta({ description: "when the forecast was made for: now for a plan, the status's updatedAt" }),
    unknownWaits: z.array(z.string()).meta({
      description: 'waits nobody can forecast, left out of the totals: approval:wave-<n>, paused:<pauseReason>',
      example: ['approval:wave-2'],
    }),
    waves: z.array(
      z.object({
        number: z.number().int(),
        expectedSeconds: seconds.meta({
          description: "the wave's clusters, window waits and bake (actual time for a finished wave)",
        }),
        windowWaitSeconds: seconds.meta({
          description: "the longest wait for a cluster's maintenance window to open, at the wave's expected start",
        }),
      }),
    ),
    basis: z.object({
      samples: z.number().int().meta({ description: 'the recorded durations the per-cluster time comes from' }),
      perClusterSeconds: timing,
      source: z.enum(['history', 'defaults', 'operation']).meta({
        description:
          "history: past runs of the same kind and action; defaults: fewer than 5 of them; operation: this operation's own finished clusters",
      }),
      kinds: z.array(
        z.object({
          kind: z.string(),
          clusters: z.number().int(),
          samples: z.number().int(),
          p50: seconds,
          p90: seconds,
          source: z.enum(['history', 'defaults']),
          sameTarget: z.boolean().meta({ description: 'only upgrades to the same target version were used' }),
        }),
      ),
    }),
  })
  .meta({ description: 'how long the operation is expected to take, and from what (see concepts.md, Forecasts)' });
