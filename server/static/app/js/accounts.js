// Linked accounts: link at the provider (in a new tab, so this page and its session stay),
// sync, unlink. While a link is pending the list is polled, and the new grade shown once the
// provider sends the person back.
import { outcome } from './api.js';
import { html, Screen } from './ui.js';

const POLL_MS = 2000;

// One line of what the account's data says, in the reader's language, from the API's figures.
function factsLine(tr, facts) {
  const parts = [tr.t('accountFacts.opened', { month: tr.month(facts.openedOn) })];
  if (facts.__typename === 'SocialAccountFacts') {
    parts.push(tr.count('accountFacts.followers', facts.followers));
    parts.push(tr.count('accountFacts.posts', facts.postsPerMonth));
    if (facts.verified) parts.push(tr.t('accountFacts.verified'));
  } else {
    parts.push(tr.count('accountFacts.orders', facts.ordersPerMonth));
    parts.push(tr.t('accountFacts.spend', { amount: tr.money(facts.spendPerMonth) }));
    const total = facts.instalmentsOnTime + facts.instalmentsLate;
    if (total) {
      parts.push(tr.count('accountFacts.instalments', total, { onTime: tr.number.format(facts.instalmentsOnTime) }));
    }
  }
  return parts.join(' · ');
}

export class Accounts extends Screen {
  titleKey = 'accounts.title';

  async fetch() {
    const data = await this.props.api.call('Accounts');
    const before = this.state.data?.accounts || [];
    const accounts = data.me.linkedAccounts;
    this.schedule(accounts);
    const linkedNow = accounts.find(
      (a) => a.status === 'LINKED' && before.some((b) => b.id === a.id && b.status === 'PENDING'),
    );
    if (linkedNow) this.announceReport(linkedNow);
    return { providers: data.linkProviders, accounts };
  }

  componentWillUnmount() {
    super.componentWillUnmount();
    clearTimeout(this.poll);
  }

  schedule(accounts) {
    clearTimeout(this.poll);
    if (accounts.some((a) => a.status === 'PENDING')) {
      this.poll = setTimeout(() => this.mounted && this.reload(), POLL_MS);
    }
  }

  async announceReport(account) {
    const { api, tr } = this.props;
    const report = (await api.call('Home')).me.report;
    const provider = this.providerName(account.provider);
    const text = report && report.status === 'READY'
      ? tr.t('accounts.linkedGrade', { provider, grade: report.grade, score: report.score })
      : tr.t('accounts.linked', { provider });
    if (this.mounted) this.setState({ notice: text, authorizationUrl: null });
  }

  providerName(name) {
    const provider = (this.state.data?.providers || []).find((p) => p.name === name);
    return provider ? provider.displayName : name;
  }

  // Linking needs the person's consent to collect the provider's data: the provider's notice
  // (purpose, data kinds, retention) is shown first, and agreeing to it starts the link.
  showNotice(provider) {
    this.setState({ noticeFor: provider.name }, () => document.getElementById(`agree-${provider.name}`)?.focus());
  }

  link(provider) {
    const { api, tr } = this.props;
    return this.act(`link:${provider.name}`, async () => {
      const data = await api.call('StartLink', { provider: provider.name, consentToCollect: true });
      this.setState({ noticeFor: null });
      const started = outcome(data.startAccountLink, 'AccountLinkStarted');
      this.setState({ authorizationUrl: { provider: provider.displayName, url: started.authorizationUrl } });
      await this.reload();
      return tr.t('accounts.continueHint', { provider: provider.displayName });
    });
  }

  sync(account) {
    const { api, tr } = this.props;
    return this.act(`sync:${account.id}`, async () => {
      const data = await api.call('SyncAccount', { id: account.id });
      outcome(data.syncLinkedAccount, 'LinkedAccountSynced');
      await this.reload();
      return tr.t('accounts.synced', { provider: this.providerName(account.provider) });
    });
  }

  unlink(account) {
    const { api, tr } = this.props;
    return this.act(`unlink:${account.id}`, async () => {
      const data = await api.call('UnlinkAccount', { id: account.id });
      outcome(data.unlinkAccount, 'AccountUnlinked');
      this.setState({ confirming: null });
      await this.reload();
      return tr.t('accounts.unlinked', { provider: this.providerName(account.provider) });
    });
  }

  view({ providers, accounts }) {
    const { tr } = this.props;
    const started = this.state.authorizationUrl;
    return html`
      ${started && html`<p class="card continue">
        <a href=${started.url} target="_blank" rel="noopener" class="button primary">
          ${tr.t('accounts.continue', { provider: started.provider })}</a></p>`}
      ${providers.map((provider) => this.card(provider, accounts.find((a) => a.provider === provider.name)))}`;
  }

  notice(provider) {
    const { tr } = this.props;
    const busy = this.state.busy !== null;
    const notice = provider.collectionNotice;
    // The notice's words for this version, in the reader's language; a version the catalogues
    // do not know yet is shown as the server states it.
    const words = `collectionNotice.${notice.version}`;
    const purpose = tr.has(`${words}.purpose`) ? tr.t(`${words}.purpose`) : notice.statedPurpose;
    const kinds = tr.has(`${words}.data.${provider.kind}`)
      ? tr.t(`${words}.data.${provider.kind}`)
      : notice.dataKinds.join(tr.t('list.separator'));
    return html`<div class="confirm" role="group" aria-labelledby=${`notice-${provider.name}`}>
      <p id=${`notice-${provider.name}`}><strong>${tr.t('accounts.notice.title', { provider: provider.displayName })}</strong></p>
      <dl class="facts small">
        <div><dt>${tr.t('accounts.notice.purpose')}</dt><dd>${purpose}</dd></div>
        <div><dt>${tr.t('accounts.notice.data')}</dt><dd>${kinds}</dd></div>
        <div><dt>${tr.t('accounts.notice.kept')}</dt><dd>${tr.t('accounts.notice.days', { days: notice.retentionDays })}</dd></div>
      </dl>
      <p class="hint">${tr.t('accounts.notice.withdraw', { version: notice.version })}</p>
      <div class="row">
        <button type="button" class="primary" id=${`agree-${provider.name}`} disabled=${busy}
          onClick=${() => this.link(provider)}>${tr.t('accounts.notice.agree')}</button>
        <button type="button" disabled=${busy} onClick=${() => this.setState({ noticeFor: null })}>${tr.t('action.cancel')}</button>
      </div>
    </div>`;
  }

  card(provider, account) {
    const { tr } = this.props;
    const busy = this.state.busy !== null;
    const headingId = `provider-${provider.name}`;
    const usable = account && account.status !== 'PENDING';
    return html`<article class="card" aria-labelledby=${headingId}>
      <h2 id=${headingId} class="name">${provider.displayName}</h2>
      <p class="meta">${tr.t(`kind.${provider.kind}`)} · <strong>${account ? tr.t(`linkStatus.${account.status}`) : tr.t('linkStatus.NONE')}</strong></p>
      ${account && account.facts && html`<p class="account-facts">${factsLine(tr, account.facts)}</p>`}
      ${account && account.failureReason && html`<p class="error-text">${account.failureReason}</p>`}
      ${account && account.lastSyncedAt && html`<p class="hint">${tr.t('accounts.lastSynced', { when: tr.when(account.lastSyncedAt) })}</p>`}
      <div class="row">
        ${(!account || account.status !== 'LINKED') && html`<button type="button" class="primary" disabled=${busy}
          onClick=${() => this.showNotice(provider)}>${tr.t(account && account.status === 'PENDING' ? 'accounts.linkAgain' : 'accounts.link')}</button>`}
        ${account && account.status === 'LINKED' && html`<button type="button" disabled=${busy}
          onClick=${() => this.sync(account)}>${tr.t('accounts.sync')}</button>`}
        ${usable && this.state.confirming !== account.id && html`<button type="button" class="danger" disabled=${busy}
          onClick=${() => this.setState({ confirming: account.id })}>${tr.t('accounts.unlink')}</button>`}
      </div>
      ${this.state.noticeFor === provider.name && this.notice(provider)}
      ${usable && this.state.confirming === account.id && html`<div class="confirm" role="group" aria-label=${tr.t('accounts.unlink')}>
        <p>${tr.t('accounts.confirmUnlink', { provider: provider.displayName })}</p>
        <div class="row">
          <button type="button" class="danger" disabled=${busy} onClick=${() => this.unlink(account)}>${tr.t('accounts.unlinkYes')}</button>
          <button type="button" disabled=${busy} onClick=${() => this.setState({ confirming: null })}>${tr.t('action.cancel')}</button>
        </div>
      </div>`}
    </article>`;
  }
}
