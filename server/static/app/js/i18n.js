// Message catalogues (i18n/<language>.json): every word the app shows comes from one of them.
export const LANGUAGES = ['en', 'zh-Hans'];
const STORAGE_KEY = 'scorelink.language';
// Scopes are listed in the order of the API's Scope enum (most asked first), whatever order
// a list arrives in.
const SCOPE_ORDER = [
  'GRADE', 'SCORE', 'DEFAULT_PROBABILITY', 'REASON_CODES', 'SCORE_HISTORY', 'IDENTITY',
  'CONTACT', 'DATA_SOURCES', 'SPENDING_PROFILE', 'SOCIAL_PROFILE', 'CREDIT_ASSESSMENT',
];

export function preferredLanguage() {
  let stored = null;
  try {
    stored = window.localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage may be refused (private mode): the choice then lasts for this page only.
  }
  if (LANGUAGES.includes(stored)) return stored;
  return (navigator.language || '').toLowerCase().startsWith('zh') ? 'zh-Hans' : 'en';
}

export function rememberLanguage(language) {
  try {
    window.localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // See preferredLanguage.
  }
}

export async function loadCatalogue(language) {
  const response = await fetch(`/app/assets/i18n/${language}.json`);
  if (!response.ok) throw new Error(`catalogue ${language}: ${response.status}`);
  return new Translator(language, await response.json());
}

export class Translator {
  constructor(language, messages) {
    this.language = language;
    this.messages = messages;
    const locale = language === 'zh-Hans' ? 'zh-Hans-CN' : 'en-GB';
    this.dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    this.date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
    this.time = new Intl.DateTimeFormat(locale, { timeStyle: 'short' });
    this.list = new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' });
    this.percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
    this.number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
    // A calendar date from the API (YYYY-MM-DD) is a day, not an instant: read in UTC.
    this.monthYear = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'long', timeZone: 'UTC' });
    this.plural = new Intl.PluralRules(locale);
  }

  // The message `key` with {name} placeholders filled; a missing key shows as itself, which
  // the catalogue test catches before a person could.
  t(key, values = {}) {
    const template = this.messages[key];
    if (template === undefined) return key;
    return template.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
  }

  has(key) {
    return key in this.messages;
  }

  // Words for a refusal: the catalogue's text for its code, else the server's own message.
  // A message whose placeholder the refusal left empty (INVALID_CODE when no code is pending
  // has no tries to count) uses its `.plain` form.
  refusal(error) {
    const details = error.details || {};
    const key = `refusal.${error.code}`;
    if (this.has(key)) {
      const names = [...this.messages[key].matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const empty = names.some((name) => details[name] === null || details[name] === undefined);
      return this.t(empty && this.has(`${key}.plain`) ? `${key}.plain` : key, details);
    }
    return error.message || this.t('refusal.UNEXPECTED_ERROR', error.details || {});
  }

  when(iso) {
    return this.dateTime.format(new Date(iso));
  }

  // The message `key` for a count: its `.one` form where the language says "one" (English
  // "1 follower"), else `key`; the count is formatted for the language.
  count(key, count, values = {}) {
    const form = this.plural.select(count) === 'one' && this.has(`${key}.one`) ? `${key}.one` : key;
    return this.t(form, { ...values, count: this.number.format(count) });
  }

  month(isoDate) {
    return this.monthYear.format(new Date(isoDate));
  }

  day(iso) {
    return this.date.format(new Date(iso));
  }

  // An amount exactly as the API gives it (a decimal string, never a binary float), with its
  // currency and the whole part grouped in thousands.
  money({ value, currency }) {
    const [whole, fraction] = value.split('.');
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return this.t('money', { currency, amount: fraction === undefined ? grouped : `${grouped}.${fraction}` });
  }

  scopes(scopes) {
    const ordered = [...scopes].sort((a, b) => SCOPE_ORDER.indexOf(a) - SCOPE_ORDER.indexOf(b));
    return this.list.format(ordered.map((scope) => this.t(`scope.${scope}.name`)));
  }
}
