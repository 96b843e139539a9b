/**
 * Word lists for the generated catalogue: English and Italian shop vocabulary, so that stemming
 * (scarpa/scarpe, run/running) and prefix search meet the forms a real catalogue has. RARE words are
 * made-up brand names that appear in ~1 product in 5,000: where a `LIKE '%term%'` scan has to read the
 * whole table to fill a page.
 */
export const EN = {
  nouns: ["shoes", "sneakers", "boots", "sandals", "jacket", "coat", "hoodie", "sweater", "shirt", "t-shirt", "dress", "skirt", "jeans", "trousers", "shorts", "scarf", "hat", "cap", "gloves", "socks", "bag", "backpack", "wallet", "belt", "watch", "bracelet", "necklace", "earrings", "ring", "sunglasses", "lamp", "mug", "teapot", "candle", "blanket", "pillow", "towel", "rug", "vase", "plate", "bowl", "knife", "pan", "headphones", "speaker", "charger", "keyboard", "notebook", "pen", "umbrella", "raincoat", "perfume", "lipstick", "serum", "shampoo", "soap", "brush", "mirror", "chair", "table", "shelf", "clock", "frame", "plant", "basket", "bottle", "tumbler", "jersey", "leggings", "tracksuit"],
  adjectives: ["running", "hiking", "waterproof", "lightweight", "vintage", "classic", "organic", "handmade", "oversized", "slim", "warm", "soft", "cozy", "minimal", "retro", "modern", "rustic", "elegant", "casual", "sporty", "wireless", "portable", "foldable", "recycled", "limited", "premium", "everyday", "travel", "summer", "winter", "spring", "autumn", "kids", "unisex", "relaxed", "fitted", "quilted", "knitted", "washed", "brushed"],
  materials: ["cotton", "linen", "wool", "cashmere", "leather", "suede", "denim", "silk", "canvas", "bamboo", "ceramic", "glass", "steel", "brass", "oak", "walnut", "marble", "velvet", "fleece", "nylon"],
  colors: ["black", "white", "navy", "olive", "sand", "red", "blue", "green", "grey", "pink", "cream", "brown", "yellow", "orange", "teal", "burgundy", "charcoal", "ivory", "lavender", "mustard"],
  phrases: ["Built for everyday wear", "Made to last for years", "Perfect for running on wet rocks", "Designed in small batches", "A gift they will love", "Pairs with our summer collection", "Easy to clean and care for", "Packed in recycled boxes", "Tested by our community", "Fits true to size", "Ships within two days", "Limited stock from the live show"],
};

export const IT = {
  nouns: ["scarpe", "scarpa", "stivali", "sandali", "giacca", "cappotto", "felpa", "maglione", "camicia", "maglietta", "vestito", "gonna", "jeans", "pantaloni", "pantaloncini", "sciarpa", "cappello", "berretto", "guanti", "calze", "borsa", "zaino", "portafoglio", "cintura", "orologio", "bracciale", "collana", "orecchini", "anello", "occhiali", "lampada", "tazza", "teiera", "candela", "coperta", "cuscino", "asciugamano", "tappeto", "vaso", "piatto", "ciotola", "coltello", "padella", "cuffie", "cassa", "caricatore", "tastiera", "quaderno", "penna", "ombrello", "impermeabile", "profumo", "rossetto", "siero", "sapone", "spazzola", "specchio", "sedia", "tavolo", "mensola", "sveglia", "cornice", "pianta", "cestino", "bottiglia", "borraccia", "tuta"],
  adjectives: ["da corsa", "da trekking", "impermeabile", "leggero", "leggera", "vintage", "classico", "classica", "biologico", "artigianale", "fatto a mano", "morbido", "morbida", "caldo", "calda", "minimale", "moderno", "moderna", "rustico", "elegante", "sportivo", "sportiva", "senza fili", "portatile", "pieghevole", "riciclato", "edizione limitata", "da viaggio", "estivo", "estiva", "invernale", "primaverile", "autunnale", "per bambini", "unisex", "trapuntato", "lavorato a maglia", "comodo", "comoda"],
  materials: ["cotone", "lino", "lana", "cashmere", "pelle", "camoscio", "denim", "seta", "tela", "bambù", "ceramica", "vetro", "acciaio", "ottone", "rovere", "noce", "marmo", "velluto", "pile", "nylon"],
  colors: ["nero", "nera", "bianco", "bianca", "blu", "verde oliva", "sabbia", "rosso", "rossa", "azzurro", "verde", "grigio", "rosa", "crema", "marrone", "giallo", "arancione", "bordeaux", "antracite", "avorio", "lavanda", "senape"],
  phrases: ["Pensato per tutti i giorni", "Fatto per durare", "Perfetto per correre sulle rocce bagnate", "Prodotto in piccoli lotti", "Un regalo che ameranno", "Si abbina alla collezione estiva", "Facile da lavare", "Spedito in scatole riciclate", "Provato dalla nostra comunità", "Vestibilità regolare", "Spedizione in due giorni", "Pezzi limitati dalla diretta"],
};

export const RARE = Array.from({ length: 200 }, (_, i) => {
  const a = ["zor", "quil", "brax", "vend", "mok", "tesh", "lumb", "prav", "kint", "drel", "fosk", "galt", "hux", "jerv", "nolt", "pyx", "rask", "sulv", "trin", "wex"];
  const b = ["ava", "ello", "ix", "ora", "uto", "ena", "ark", "indo", "osa", "ulp"];
  return a[i % a.length]! + b[Math.floor(i / a.length) % b.length]!;
});

export const FIRST_NAMES = ["Sofia", "Giulia", "Aurora", "Alice", "Ginevra", "Emma", "Giorgia", "Beatrice", "Leonardo", "Francesco", "Lorenzo", "Alessandro", "Tommaso", "Mattia", "Olivia", "Amelia", "Isla", "Ava", "Noah", "Oliver", "George", "Arthur", "Mia", "Lily", "Kara", "Luca", "Marco", "Chiara", "Elena", "Sara"];
export const LAST_NAMES = ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Walker", "Wright"];
export const SHOW_WORDS = {
  en: ["live drop", "flash sale", "new arrivals", "styling session", "unboxing", "Q&A and deals", "weekend edit", "restock night", "closet clear-out", "gift guide"],
  it: ["diretta", "svendita lampo", "nuovi arrivi", "sessione di stile", "unboxing", "domande e offerte", "selezione del weekend", "serata rifornimento", "svuota armadio", "idee regalo"],
};
