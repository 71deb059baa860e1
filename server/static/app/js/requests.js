// Partners' requests: approve all, approve some scopes, or decline.
import { outcome } from './api.js';
import { html, Screen } from './ui.js';

export class Requests extends Screen {
  titleKey = 'requests.title';

  async fetch() {
    const requests = (await this.props.api.call('Requests')).me.consentRequests;
    // Every asked scope starts switched on; the person switches off what they will not share.
    const chosen = {};
    for (const request of requests) chosen[request.id] = new Set(request.scopes);
    this.setState({ chosen });
    return requests;
  }

  toggle(id, scope) {
    const chosen = { ...this.state.chosen, [id]: new Set(this.state.chosen[id]) };
    if (chosen[id].has(scope)) chosen[id].delete(scope);
    else chosen[id].add(scope);
    this.setState({ chosen });
  }

  approve(request, scopes) {
    const { api, tr } = this.props;
    return this.act(`approve:${request.id}`, async () => {
      const data = await api.call('ApproveRequest', { id: request.id, scopes });
      outcome(data.approveConsentRequest, 'ConsentGranted');
      await this.reload();
      return tr.t('requests.approved', { partner: request.partner?.name ?? '' });
    });
  }

  deny(request) {
    const { api, tr } = this.props;
    return this.act(`deny:${request.id}`, async () => {
      const data = await api.call('DenyRequest', { id: request.id });
      outcome(data.denyConsentRequest, 'ConsentRequestDenied');
      await this.reload();
      return tr.t('requests.denied', { partner: request.partner?.name ?? '' });
    });
  }

  view(requests) {
    const { tr } = this.props;
    const pending = requests.filter((r) => r.status === 'PENDING');
    const earlier = requests.filter((r) => r.status !== 'PENDING');
    return html`
      ${pending.length ? pending.map((r) => this.card(r)) : html`<p>${tr.t('requests.none')}</p>`}
      ${earlier.length > 0 && html`<h2>${tr.t('requests.earlier')}</h2>
        <ul class="plain">${earlier.map((r) => html`<li class="card small">
          <strong class="name">${r.partner?.name ?? tr.t('partner.unknown')}</strong>
          ${' '}${tr.t(`requestStatus.${r.status}`)} · ${tr.scopes(r.scopes)} · ${tr.day(r.createdAt)}
        </li>`)}</ul>`}`;
  }

  card(request) {
    const { tr } = this.props;
    const busy = this.state.busy !== null;
    const chosen = this.state.chosen[request.id] || new Set();
    const subset = request.scopes.filter((s) => chosen.has(s));
    const partner = request.partner;
    const headingId = `request-${request.id}`;
    return html`<article class="card" aria-labelledby=${headingId}>
      <h2 id=${headingId} class="name">${partner?.name ?? tr.t('partner.unknown')}</h2>
      <p class="meta">${partner ? tr.t(`partnerType.${partner.type}`) : ''}</p>
      <p>${tr.t(`purpose.${request.purpose}.explain`)}</p>
      <dl class="facts small">
        <div><dt>${tr.t('requests.duration')}</dt><dd>${tr.t('requests.days', { days: request.durationDays })}</dd></div>
        <div><dt>${tr.t('requests.access')}</dt><dd>${tr.t(`access.${request.access}`)}</dd></div>
        <div><dt>${tr.t('requests.asked')}</dt><dd>${tr.when(request.createdAt)}</dd></div>
        <div><dt>${tr.t('requests.expires')}</dt><dd>${tr.when(request.expiresAt)}</dd></div>
        ${request.reference && html`<div><dt>${tr.t('requests.reference')}</dt><dd class="name">${request.reference}</dd></div>`}
      </dl>
      <fieldset>
        <legend>${tr.t('requests.scopes')}</legend>
        ${request.scopes.map((scope) => {
          const id = `scope-${request.id}-${scope}`;
          return html`<div class="toggle">
            <input type="checkbox" id=${id} checked=${chosen.has(scope)} disabled=${busy}
              aria-describedby=${`${id}-explain`} onChange=${() => this.toggle(request.id, scope)} />
            <label for=${id}>${tr.t(`scope.${scope}.name`)}</label>
            <p id=${`${id}-explain`} class="hint">${tr.t(`scope.${scope}.explain`)}</p>
          </div>`;
        })}
      </fieldset>
      <div class="row">
        ${subset.length === request.scopes.length
          ? html`<button type="button" class="primary" disabled=${busy}
              onClick=${() => this.approve(request, null)}>${tr.t('requests.approveAll')}</button>`
          : html`<button type="button" class="primary" disabled=${busy || subset.length === 0}
              onClick=${() => this.approve(request, subset)}>
              ${tr.t('requests.approveSome', { count: subset.length, total: request.scopes.length })}</button>`}
        <button type="button" class="danger" disabled=${busy} onClick=${() => this.deny(request)}>
          ${tr.t('requests.deny')}</button>
      </div>
      ${this.state.busy && this.state.busy.endsWith(request.id) && html`<p role="status">${tr.t('status.working')}</p>`}
    </article>`;
  }
}
