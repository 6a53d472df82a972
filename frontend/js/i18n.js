// One catalog for Go and the browser: the server answers API errors from the
// same files this module loads.
const SUPPORTED = ['zh-CN', 'en'];
let catalog = {};
let current = 'zh-CN';

function pick() {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (SUPPORTED.includes(fromUrl)) return fromUrl;
  try {
    const saved = localStorage.getItem('xuetang.lang');
    if (SUPPORTED.includes(saved)) return saved;
  } catch (_) { /* storage may be disabled */ }
  const nav = (navigator.language || '').toLowerCase();
  return nav.startsWith('en') ? 'en' : 'zh-CN';
}

export function lang() { return current; }

// catalogURL is the catalog's fingerprinted address, which the browser keeps
// for a year, as the server lists it in the page (internal/web/fingerprint.go);
// the plain address, revalidated each time, when the page has no list.
let catalogURLs;
function catalogURL(l) {
  if (catalogURLs === undefined) {
    try { catalogURLs = JSON.parse(document.getElementById('catalogs')?.textContent || '{}'); } catch (_) { catalogURLs = {}; }
  }
  return catalogURLs[l] || `/i18n/${l}.json`;
}

export async function load(preferred) {
  current = SUPPORTED.includes(preferred) ? preferred : pick();
  const res = await fetch(catalogURL(current));
  catalog = await res.json();
  document.documentElement.lang = current;
  return current;
}

// remember stores the choice unless this is a shared computer. Signed out,
// the computer's kind is unknown; a language choice is not personal, and a
// shared session's sign-out clears site data anyway.
export function remember(l, shared) {
  if (shared) return;
  try { localStorage.setItem('xuetang.lang', l); } catch (_) { /* ignore */ }
}

// English says "1 lesson", "2 lessons": a key may have a ".one" form, used
// when the count {n} is exactly 1. Chinese has no plural and needs none.
function format(cat, key, args) {
  const one = args && Number(String(args.n ?? '').replace(/,/g, '')) === 1 ? cat[key + '.one'] : undefined;
  let msg = one ?? cat[key] ?? key;
  if (args) for (const [k, v] of Object.entries(args)) msg = msg.replaceAll(`{${k}}`, String(v));
  return msg;
}

export function t(key, args) { return format(catalog, key, args); }

// translator loads another language's catalog and returns its t, for pages
// that show both languages at once (the bilingual certificate).
export async function translator(l) {
  if (l === current) return t;
  const res = await fetch(catalogURL(l));
  const cat = await res.json();
  return (key, args) => format(cat, key, args);
}

// apply fills every element carrying data-i18n (text) or data-i18n-attr
// ("attr:key;attr:key") under root.
export function apply(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      el.setAttribute(attr, t(key));
    }
  }
}
