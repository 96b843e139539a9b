export interface CatalogTables {
  products: {
    id: string;
    merchant_id: string;
    title: string;
    description: string;
    currency: string;
    status: "active" | "archived";
    /** JSON array of image URLs, in display order */
    images: string;
    /** "own", or "external": sold by a partner store (external_url, store_name) */
    kind: "own" | "external";
    external_url: string | null;
    store_name: string | null;
    created_at: number;
    updated_at: number;
  };
  variants: {
    id: string;
    product_id: string;
    sku: string | null;
    title: string;
    /** JSON object, e.g. {"size":"M","colour":"Red"} */
    options: string;
    price: number;
    stock: number;
    position: number;
    /** 1 while the variant is offered; removed variants stay for order history */
    active: number;
  };
}
