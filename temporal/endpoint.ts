/** What every caller needs from provisioning: where Temporal is, and how to let go of it. */
export interface TemporalEndpoint {
  /** host:port of the frontend gRPC service. */
  address: string;
  /** The Web UI, or null when there is none (headless, or an external server without ZT_TEMPORAL_UI_URL). */
  uiUrl: string | null;
  namespace: string;
  /** Stops what provisioning started (nothing for an external server); resolves once it is gone. */
  stop(): Promise<void>;
}
