/**
 * The page a picker asks for: the core's largest. A lab has tens of sites, kit templates,
 * freezers and printers, so one page holds them; where a list can grow past it (samples,
 * boxes, history) the screen pages with `Pager` instead.
 */
export const PICKER_PAGE = { page: 1, per_page: 200 } as const;
