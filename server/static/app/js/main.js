// The person's app: language, session, and which screen the URL's fragment names.
import { render } from '../vendor/preact/preact.mjs';
import { Accounts } from './accounts.js';
import { Activity } from './activity.js';
import { Api } from './api.js';
import { Assessments } from './assessments.js';
import { Consents } from './consents.js';
import { Home } from './home.js';
import { LANGUAGES, loadCatalogue, preferredLanguage, rememberLanguage } from './i18n.js';
import { Privacy } from './privacy.js';
import { Requests } from './requests.js';
import { SignIn } from './signin.js';
import { Component, html } from './ui.js';

const SCREENS = {
  home: Home,
  requests: Requests,
  consents: Consents,
  activity: Activity,
  accounts: Accounts,
  assessments: Assessments,
  privacy: Privacy,
};

function currentRoute() {
  const name = window.location.hash.replace(/^#\/?/, '');
  return name in SCREENS ? name : 'home';
}

class App extends Component {
  constructor(props) {
    super(props);
    this.state = { tr: null, signedIn: false, route: currentRoute(), notice: null, failed: false };
    // An ended session sends the person to sign in; the fragment stays, so they come back
    // to the screen they were on.
    this.api = new Api(() => this.setState({ signedIn: false, notice: this.state.tr?.t('session.ended') }));
  }

  componentDidMount() {
    this.useLanguage(preferredLanguage());
    window.addEventListener('hashchange', () => {
      this.setState({ route: currentRoute() }, () => this.focusTitle());
    });
  }

  async useLanguage(language) {
    try {
      const tr = await loadCatalogue(language);
      document.documentElement.lang = language;
      document.title = tr.t('app.name');
      this.setState({ tr, failed: false });
    } catch {
      this.setState({ failed: true });
    }
  }

  switchLanguage() {
    const next = LANGUAGES.find((l) => l !== this.state.tr.language);
    rememberLanguage(next);
    this.useLanguage(next);
  }

  focusTitle() {
    document.getElementById('screen-title')?.focus();
  }

  signedIn() {
    this.setState({ signedIn: true, notice: null }, () => this.focusTitle());
  }

  async signOut() {
    await this.api.logout();
    this.setState({ signedIn: false, notice: this.state.tr.t('session.signedOut') });
  }

  // The account is gone and the server ended every session: back to sign-in, at home (the
  // privacy screen of a deleted account has nothing to show).
  accountDeleted(deleted) {
    this.api.forget();
    window.history.replaceState(null, '', '#/home');
    this.setState({ signedIn: false, route: 'home', notice: this.state.tr.t('privacy.deleted', {
      consents: deleted.revokedConsents, accounts: deleted.deletedLinkedAccounts, reports: deleted.deletedReports,
    }) });
  }

  render() {
    const { tr, signedIn, route, notice, failed } = this.state;
    if (failed) {
      // Without a catalogue there are no words to show but these two, in both languages.
      return html`<main><p role="alert">ScoreLink · 网络错误</p>
        <button type="button" onClick=${() => this.useLanguage(preferredLanguage())}>↻</button></main>`;
    }
    if (!tr) return null;
    const other = LANGUAGES.find((l) => l !== tr.language);
    const header = html`<header class="top">
      <a class="brand" href="#/home">${tr.t('app.name')}</a>
      <div class="row">
        <button type="button" lang=${other} onClick=${() => this.switchLanguage()}>${tr.t('language.switch')}</button>
        ${signedIn && html`<button type="button" onClick=${() => this.signOut()}>${tr.t('session.signOut')}</button>`}
      </div>
    </header>`;
    if (!signedIn) {
      return html`${header}<main id="main">
        <${SignIn} api=${this.api} tr=${tr} notice=${notice} onSignedIn=${() => this.signedIn()} />
      </main>`;
    }
    const Screen = SCREENS[route];
    return html`${header}
      <nav aria-label=${tr.t('nav.label')}><ul>
        ${Object.keys(SCREENS).map((name) => html`<li><a href=${`#/${name}`}
          aria-current=${name === route ? 'page' : undefined}>${tr.t(`nav.${name}`)}</a></li>`)}
      </ul></nav>
      <main id="main"><${Screen} key=${route} api=${this.api} tr=${tr}
        onDeleted=${(deleted) => this.accountDeleted(deleted)} /></main>`;
  }
}

render(html`<${App} />`, document.getElementById('app'));
