// Hand-written placeholder in ts-rs style; replaced when shared/api exports its types.
export type Page<T> = { items: Array<T>, page: number, per_page: number, total: number, total_pages: number, };
