// Sign in with a mobile number and the code texted to it.
import { outcome } from './api.js';
import { Alert, Component, explain, html } from './ui.js';

// Calling codes of the countries and regions ScoreLink serves (the server decides; this
// only builds the E.164 number).
export const COUNTRIES = [
  ['CN', '86'], ['HK', '852'], ['MO', '853'], ['SG', '65'], ['MY', '60'],
  ['TH', '66'], ['ID', '62'], ['PH', '63'], ['VN', '84'],
];

export class SignIn extends Component {
  constructor(props) {
    super(props);
    this.state = {
      country: 'CN', national: '', code: '', phone: null, resendAt: 0, now: Date.now(),
      attemptsLeft: null, error: null, info: null, busy: false,
    };
  }

  componentDidMount() {
    this.timer = setInterval(() => this.setState({ now: Date.now() }), 1000);
  }

  componentWillUnmount() {
    clearInterval(this.timer);
  }

  e164() {
    const dial = COUNTRIES.find(([iso]) => iso === this.state.country)[1];
    // A national number is often written with its trunk prefix 0, which E.164 drops.
    const digits = this.state.national.replace(/\D/g, '').replace(/^0+/, '');
    return `+${dial}${digits}`;
  }

  async run(step) {
    if (this.state.busy) return;
    this.setState({ busy: true, error: null, info: null });
    try {
      await step();
    } catch (error) {
      const { tr } = this.props;
      const details = error.details || {};
      if (error.code === 'RESEND_TOO_SOON' || error.code === 'RANGE_BUSY') {
        this.setState({ resendAt: Date.now() + details.retryAfter * 1000 });
      }
      if (error.code === 'INVALID_CODE') this.setState({ attemptsLeft: details.attemptsLeft });
      this.setState({ error: explain(error, tr) });
    } finally {
      this.setState({ busy: false });
    }
  }

  sendCode(event) {
    event.preventDefault();
    const phone = this.state.phone || this.e164();
    return this.run(async () => {
      const data = await this.props.api.anonymous('RequestLoginCode', { phone });
      const sent = outcome(data.requestLoginCode, 'LoginCodeSent');
      this.setState({
        phone: sent.phone, code: '', attemptsLeft: null,
        resendAt: Date.now() + sent.resendAfter * 1000,
        info: this.props.tr.t('signin.sent', { phone: sent.phone, minutes: Math.round(sent.expiresIn / 60) }),
      });
      document.getElementById('signin-code')?.focus();
    });
  }

  verify(event) {
    event.preventDefault();
    const { phone, code } = this.state;
    return this.run(async () => {
      const data = await this.props.api.anonymous('VerifyLoginCode', { phone, code: code.trim() });
      const signedIn = outcome(data.verifyLoginCode, 'SignedIn');
      this.props.api.start(signedIn);
      this.props.onSignedIn();
    });
  }

  changeNumber() {
    this.setState({ phone: null, code: '', error: null, info: null, attemptsLeft: null });
  }

  render() {
    const { tr, notice } = this.props;
    const { phone, busy, error, info } = this.state;
    return html`<section class="signin" aria-labelledby="screen-title">
      <h1 tabindex="-1" id="screen-title">${tr.t('signin.title')}</h1>
      <p>${tr.t('signin.intro')}</p>
      <${Alert} tone="info" text=${notice} />
      <${Alert} text=${error} />
      <${Alert} tone="info" text=${info} />
      ${phone ? this.codeForm() : this.phoneForm()}
      ${busy && html`<p role="status">${tr.t('status.working')}</p>`}
    </section>`;
  }

  phoneForm() {
    const { tr } = this.props;
    const { country, national, busy } = this.state;
    return html`<form onSubmit=${(e) => this.sendCode(e)} novalidate>
      <label for="signin-country">${tr.t('signin.country')}</label>
      <select id="signin-country" value=${country}
        onChange=${(e) => this.setState({ country: e.currentTarget.value })}>
        ${COUNTRIES.map(([iso, dial]) => html`<option value=${iso}>${tr.t(`country.${iso}`)} (+${dial})</option>`)}
      </select>
      <label for="signin-phone">${tr.t('signin.phone')}</label>
      <input id="signin-phone" type="tel" inputmode="tel" autocomplete="tel-national" required
        value=${national} onInput=${(e) => this.setState({ national: e.currentTarget.value })} />
      <button type="submit" class="primary" disabled=${busy || !national.trim()}>${tr.t('signin.send')}</button>
    </form>`;
  }

  codeForm() {
    const { tr } = this.props;
    const { code, busy, attemptsLeft, resendAt, now, phone } = this.state;
    const wait = Math.max(0, Math.ceil((resendAt - now) / 1000));
    return html`<form onSubmit=${(e) => this.verify(e)} novalidate>
      <label for="signin-code">${tr.t('signin.code', { phone })}</label>
      <input id="signin-code" type="text" inputmode="numeric" autocomplete="one-time-code"
        maxlength="6" required value=${code} aria-describedby="signin-tries"
        onInput=${(e) => this.setState({ code: e.currentTarget.value })} />
      <p id="signin-tries" class="hint">
        ${attemptsLeft === null ? tr.t('signin.codeHint') : tr.t('signin.triesLeft', { count: attemptsLeft })}
      </p>
      <button type="submit" class="primary" disabled=${busy || code.trim().length === 0}>${tr.t('signin.verify')}</button>
      <div class="row">
        <button type="button" disabled=${busy || wait > 0} onClick=${(e) => this.sendCode(e)}>
          ${wait > 0 ? tr.t('signin.resendIn', { seconds: wait }) : tr.t('signin.resend')}
        </button>
        <button type="button" class="link" onClick=${() => this.changeNumber()}>${tr.t('signin.otherNumber')}</button>
      </div>
    </form>`;
  }
}
