// Consents the person gave: what each opens, until when; renew or revoke (after confirming).
// Below them, the consents to collect a linked account's data, each withdrawable.
import { outcome } from './api.js';
import { html, Screen } from './ui.js';

export class Consents extends Screen {
  titleKey = 'consents.title';

  async fetch() {
    const data = await this.props.api.call('Consents');
    return { consents: data.me.consents, collecting: data.me.collecting, providers: data.linkProviders };
  }

  confirm(consent) {
    this.setState({ confirming: consent.id }, () => document.getElementById(`revoke-yes-${consent.id}`)?.focus());
  }

  cancel(consent) {
    this.setState({ confirming: null }, () => document.getElementById(`revoke-${consent.id}`)?.focus());
  }

  revoke(consent) {
    const { api, tr } = this.props;
    return this.act(`revoke:${consent.id}`, async () => {
      const data = await api.call('RevokeConsent', { id: consent.id });
      outcome(data.revokeConsent, 'ConsentRevoked');
      this.setState({ confirming: null });
      await this.reload();
      return tr.t('consents.revoked', { partner: consent.partner?.name ?? '' });
    });
  }

  renew(consent) {
    const { api, tr } = this.props;
    return this.act(`renew:${consent.id}`, async () => {
      const data = await api.call('RenewConsent', { id: consent.id });
      const renewed = outcome(data.renewConsent, 'ConsentRenewed');
      await this.reload();
      return tr.t('consents.renewed', { partner: consent.partner?.name ?? '', date: tr.day(renewed.consent.expiresAt) });
    });
  }

  // Withdrawing deletes the account's collected data and re-scores: confirmed first, like revoking.
  withdraw(consent, provider) {
    const { api, tr } = this.props;
    return this.act(`withdraw:${consent.id}`, async () => {
      const data = await api.call('WithdrawCollectionConsent', { id: consent.id });
      outcome(data.withdrawCollectionConsent, 'CollectionConsentWithdrawn');
      this.setState({ confirming: null });
      await this.reload();
      return tr.t('consents.collect.withdrawn', { provider });
    });
  }

  view({ consents, collecting, providers }) {
    const { tr } = this.props;
    const active = consents.filter((c) => c.status === 'ACTIVE');
    const ended = consents.filter((c) => c.status !== 'ACTIVE');
    const sharing = consents.length
      ? html`${active.length ? active.map((c) => this.card(c, 'h2')) : html`<p>${tr.t('consents.noneActive')}</p>`}
        ${ended.length > 0 && html`<h2>${tr.t('consents.ended')}</h2>${ended.map((c) => this.card(c, 'h3'))}`}`
      : html`<p>${tr.t('consents.none')}</p>`;
    const inForce = collecting.filter((c) => c.status === 'ACTIVE');
    return html`${sharing}
      <h2>${tr.t('consents.collect.title')}</h2>
      ${inForce.length
        ? inForce.map((c) => this.collectCard(c, providers))
        : html`<p>${tr.t('consents.collect.none')}</p>`}`;
  }

  collectCard(consent, providers) {
    const { tr } = this.props;
    const busy = this.state.busy !== null;
    const headingId = `collect-${consent.id}`;
    const terms = consent.collection;
    const known = providers.find((p) => p.name === terms?.provider);
    const provider = known?.displayName ?? terms?.provider ?? '';
    // The agreed notice's words in the reader's language, as the link step showed them.
    const words = `collectionNotice.${terms?.noticeVersion}.data.${known?.kind}`;
    const kinds = tr.has(words) ? tr.t(words) : (terms?.dataKinds ?? []).join(tr.t('list.separator'));
    return html`<article class="card status-ACTIVE" aria-labelledby=${headingId}>
      <h3 id=${headingId} class="name">${provider}</h3>
      <dl class="facts small">
        <div><dt>${tr.t('accounts.notice.data')}</dt><dd>${kinds}</dd></div>
        <div><dt>${tr.t('accounts.notice.kept')}</dt><dd>${tr.t('accounts.notice.days', { days: terms?.retentionDays })}</dd></div>
        <div><dt>${tr.t('consents.granted')}</dt><dd>${tr.when(consent.grantedAt)}</dd></div>
      </dl>
      ${this.state.confirming === consent.id
        ? html`<div class="confirm" role="group" aria-labelledby=${`${headingId}-confirm`}>
            <p id=${`${headingId}-confirm`}>${tr.t('consents.collect.confirm', { provider })}</p>
            <div class="row">
              <button type="button" class="danger" id=${`withdraw-yes-${consent.id}`} disabled=${busy}
                onClick=${() => this.withdraw(consent, provider)}>${tr.t('consents.collect.withdrawYes')}</button>
              <button type="button" disabled=${busy} onClick=${() => this.setState({ confirming: null },
                () => document.getElementById(`withdraw-${consent.id}`)?.focus())}>${tr.t('action.cancel')}</button>
            </div>
          </div>`
        : html`<div class="row">
            <button type="button" class="danger" id=${`withdraw-${consent.id}`} disabled=${busy}
              onClick=${() => this.setState({ confirming: consent.id },
                () => document.getElementById(`withdraw-yes-${consent.id}`)?.focus())}>${tr.t('consents.collect.withdraw')}</button>
          </div>`}
    </article>`;
  }

  card(consent, heading) {
    const { tr } = this.props;
    const busy = this.state.busy !== null;
    const headingId = `consent-${consent.id}`;
    const partner = consent.partner;
    return html`<article class=${`card status-${consent.status}`} aria-labelledby=${headingId}>
      <${heading} id=${headingId} class="name">${partner?.name ?? tr.t('partner.unknown')}<//>
      <p class="meta">${partner ? tr.t(`partnerType.${partner.type}`) : ''} · <strong>${tr.t(`consentStatus.${consent.status}`)}</strong></p>
      <p>${tr.t('consents.covers', { scopes: tr.scopes(consent.scopes) })}</p>
      <dl class="facts small">
        <div><dt>${tr.t('consents.purpose')}</dt><dd>${tr.t(`purpose.${consent.purpose}.name`)}</dd></div>
        <div><dt>${tr.t('requests.access')}</dt><dd>${tr.t(`access.${consent.access}`)}</dd></div>
        <div><dt>${tr.t('consents.granted')}</dt><dd>${tr.when(consent.grantedAt)}</dd></div>
        <div><dt>${tr.t('consents.expires')}</dt><dd>${tr.when(consent.expiresAt)}</dd></div>
      </dl>
      ${consent.status === 'ACTIVE' && (this.state.confirming === consent.id
        ? html`<div class="confirm" role="group" aria-labelledby=${`${headingId}-confirm`}>
            <p id=${`${headingId}-confirm`}>${tr.t('consents.confirm', { partner: partner?.name ?? '' })}</p>
            <div class="row">
              <button type="button" class="danger" id=${`revoke-yes-${consent.id}`} disabled=${busy}
                onClick=${() => this.revoke(consent)}>${tr.t('consents.revokeYes')}</button>
              <button type="button" disabled=${busy} onClick=${() => this.cancel(consent)}>${tr.t('action.cancel')}</button>
            </div>
          </div>`
        : html`<div class="row">
            <button type="button" disabled=${busy} onClick=${() => this.renew(consent)}>${tr.t('consents.renew')}</button>
            <button type="button" class="danger" id=${`revoke-${consent.id}`} disabled=${busy}
              onClick=${() => this.confirm(consent)}>${tr.t('consents.revoke')}</button>
          </div>`)}
    </article>`;
  }
}
