/** How a result reaches the workspace. Apart from spec.ts so that reading one needs no zod. */
export const APPLY_MODES = ['working-tree', 'commit', 'branch'] as const;
export type ApplyMode = (typeof APPLY_MODES)[number];

/** auto: confine the agent where the OS can; required: fail a batch that cannot be confined; off: never. */
export const SANDBOX_MODES = ['auto', 'required', 'off'] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];
