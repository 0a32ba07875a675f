// Table columns a phone (under 900 px) leaves out or shows elsewhere; the rest scroll sideways.

export const WIDE_ONLY = { display: { xs: "none", md: "table-cell" } } as const;
export const PHONE_ONLY = { display: { xs: "block", md: "none" } } as const;
