// The person's access log in words, newest first, with a per-partner summary and a filter.
// It follows the person's live events and reads the log again on each; without the socket it
// loads once when the connection drops and on Refresh.
import { LIVE, LiveEvents, OFFLINE } from './live.js';
import { html, Screen } from './ui.js';

export class Activity extends Screen {
  titleKey = 'activity.title';

  componentDidMount() {
    super.componentDidMount();
    this.live = new LiveEvents(this.props.api, {
      onEvent: () => this.refreshSoon(),
      onChange: (live) => {
        this.setState({ live });
        // Coming live closes the gap since the last load; dropping is the fallback's load.
        if (live === LIVE || live === OFFLINE) this.refreshSoon();
      },
    });
    this.live.start();
  }

  componentWillUnmount() {
    super.componentWillUnmount();
    this.live.stop();
  }

  // Events come in bursts: one load at a time, and one more if any arrived meanwhile.
  refreshSoon() {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    this.again = false;
    this.reload().finally(() => {
      this.loading = false;
      if (this.again && this.mounted) this.refreshSoon();
    });
  }

  async fetch() {
    return (await this.props.api.call('Activity', {})).me.accessLog;
  }

  sentence(entry) {
    const { tr } = this.props;
    const scopes = (list) => (list.length ? tr.scopes(list).toLocaleLowerCase(tr.language) : tr.t('activity.nothing'));
    const values = {
      partner: entry.partner?.name ?? tr.t('partner.unknown'),
      returned: scopes(entry.scopesReturned),
      denied: scopes(entry.scopesDenied),
      asked: scopes(entry.scopesAsked),
      purpose: entry.purpose ? tr.t(`purpose.${entry.purpose}.for`) : '',
    };
    const key = `event.${entry.event}`;
    return tr.has(key) ? tr.t(key, values) : tr.t('event.OTHER', { ...values, event: entry.event });
  }

  summary(entries) {
    const byPartner = new Map();
    for (const entry of entries) {
      if (!entry.partner) continue;
      const row = byPartner.get(entry.partner.id) || { partner: entry.partner, reads: 0, refused: 0, last: null };
      if (entry.event === 'READ') {
        row.reads += 1;
        row.last = row.last || entry.occurredAt; // entries come newest first
      }
      if (entry.event === 'READ_DENIED') row.refused += 1;
      byPartner.set(entry.partner.id, row);
    }
    return [...byPartner.values()];
  }

  view(entries) {
    const { tr } = this.props;
    const live = this.state.live || 'connecting';
    const controls = html`<div class="row">
        <p class=${`live live-${live}`} role="status">${tr.t(`activity.live.${live}`)}</p>
        <button type="button" onClick=${() => this.refreshSoon()}>${tr.t('action.refresh')}</button>
      </div>`;
    if (!entries.length) return html`${controls}<p>${tr.t('activity.none')}</p>`;
    const partnerId = this.state.partnerId || '';
    const shown = partnerId ? entries.filter((e) => e.partner?.id === partnerId) : entries;
    const summary = this.summary(entries);
    return html`${controls}
      <h2>${tr.t('activity.summary')}</h2>
      <div class="table-wrap"><table>
        <thead><tr>
          <th scope="col">${tr.t('activity.partner')}</th><th scope="col">${tr.t('activity.reads')}</th>
          <th scope="col">${tr.t('activity.refused')}</th><th scope="col">${tr.t('activity.lastRead')}</th>
        </tr></thead>
        <tbody>${summary.map((row) => html`<tr>
          <th scope="row" class="name">${row.partner.name}</th><td>${row.reads}</td><td>${row.refused}</td>
          <td>${row.last ? tr.when(row.last) : tr.t('activity.never')}</td></tr>`)}</tbody>
      </table></div>
      <h2>${tr.t('activity.log')}</h2>
      <label for="activity-partner">${tr.t('activity.filter')}</label>
      <select id="activity-partner" value=${partnerId} onChange=${(e) => this.setState({ partnerId: e.currentTarget.value })}>
        <option value="">${tr.t('activity.allPartners')}</option>
        ${summary.map((row) => html`<option value=${row.partner.id}>${row.partner.name}</option>`)}
      </select>
      <ol class="log" aria-live="polite">${shown.map((entry) => html`<li class=${`event-${entry.event}`}>
        <span class="sentence">${this.sentence(entry)}</span>
        <time datetime=${entry.occurredAt}>${tr.when(entry.occurredAt)}</time>
      </li>`)}</ol>`;
  }
}
