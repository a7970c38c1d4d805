/** Whether a native part actually worked on this machine; `error` is the library's own reason. */
export type ProbeResult = { readonly ok: true } | { readonly ok: false; readonly error: string };
