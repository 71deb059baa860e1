// What every screen shares: the html tag, loading and failure states, and actions that cannot
// be sent twice.
import { Component, h } from '../vendor/preact/preact.mjs';
import htm from '../vendor/htm/htm.module.js';
import { NetworkError, Refused, SessionEnded } from './api.js';

export const html = htm.bind(h);
export { Component };

// Words for any failure; null for an ended session, which the app answers by signing out.
export function explain(error, tr) {
  if (error instanceof SessionEnded) return null;
  if (error instanceof NetworkError) return tr.t('error.network');
  if (error instanceof Refused) return tr.refusal(error);
  console.error(error); // eslint-disable-line no-console
  return tr.t('refusal.UNEXPECTED_ERROR', {});
}

export function Alert({ text, tone = 'error', children }) {
  if (!text) return null;
  return html`<div class=${`alert alert-${tone}`} role=${tone === 'error' ? 'alert' : 'status'}>
    <p>${text}</p>${children}
  </div>`;
}

// A screen that loads its data on arrival and offers a retry when that fails. Subclasses
// implement `fetch()` and `view(data)`, and run changes through `act`.
export class Screen extends Component {
  constructor(props) {
    super(props);
    this.state = { data: null, loadError: null, busy: null, failure: null, notice: null };
    this.mounted = false;
  }

  componentDidMount() {
    this.mounted = true;
    this.reload();
  }

  componentWillUnmount() {
    this.mounted = false;
  }

  async reload() {
    try {
      const data = await this.fetch();
      if (this.mounted) this.setState({ data, loadError: null });
    } catch (error) {
      if (this.mounted) this.setState({ loadError: explain(error, this.props.tr) });
    }
  }

  // Runs one change at a time: while it is under way every action button is disabled, so a
  // second click (or Enter) cannot send it again. A failure keeps the action for a retry.
  async act(key, run) {
    if (this.state.busy) return;
    this.setState({ busy: key, failure: null, notice: null });
    try {
      const notice = await run();
      if (this.mounted) this.setState({ notice: notice || null });
    } catch (error) {
      const text = explain(error, this.props.tr);
      if (this.mounted && text) {
        // Only a network failure may be retried as is: a refusal would be refused again.
        const retry = error instanceof NetworkError ? () => this.act(key, run) : null;
        this.setState({ failure: { key, text, retry } });
      }
      if (error instanceof Refused && this.mounted) await this.reload();
    } finally {
      if (this.mounted) this.setState({ busy: null });
    }
  }

  render() {
    const { tr } = this.props;
    const { data, loadError, failure, notice } = this.state;
    const title = html`<h1 tabindex="-1" id="screen-title">${tr.t(this.titleKey)}</h1>`;
    if (loadError) {
      return html`<section aria-labelledby="screen-title">${title}
        <${Alert} text=${loadError}>
          <button type="button" onClick=${() => this.reload()}>${tr.t('action.retry')}</button>
        <//>
      </section>`;
    }
    if (data === null) {
      return html`<section aria-labelledby="screen-title" aria-busy="true">${title}
        <p role="status">${tr.t('status.loading')}</p></section>`;
    }
    return html`<section aria-labelledby="screen-title">${title}
      <${Alert} text=${failure && failure.text}>
        ${failure && failure.retry &&
        html`<button type="button" onClick=${failure.retry}>${tr.t('action.retry')}</button>`}
      <//>
      <${Alert} tone="info" text=${notice} />
      ${this.view(data)}
    </section>`;
  }
}
