// No-op activities for the baseline: what Temporal costs when the work itself costs nothing.
export async function noopSelect(_cluster: string): Promise<void> {}
export async function noopApply(_cluster: string): Promise<void> {}
export async function noopMonitor(_cluster: string): Promise<void> {}
