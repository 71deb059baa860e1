// The person's data rights: a copy of everything held, signed consent receipts, and deleting
// the account, which the API allows only with a fresh sign-in code.
import { outcome } from './api.js';
import { html, Screen } from './ui.js';

// Receipts are saved for a while after the click: revoking the file's address at once can
// cut the download short.
const RECEIPT_URL_LIFETIME_MS = 60_000;

export class Privacy extends Screen {
  titleKey = 'privacy.title';

  componentDidMount() {
    super.componentDidMount();
    this.timer = setInterval(() => {
      if ((this.state.resendAt ?? 0) > Date.now() - 1000) this.setState({ now: Date.now() });
    }, 1000);
  }

  componentWillUnmount() {
    super.componentWillUnmount();
    clearInterval(this.timer);
  }

  async fetch() {
    return (await this.props.api.call('Privacy')).me;
  }

  exportData() {
    const { api } = this.props;
    return this.act('export', async () => {
      const data = await api.call('RequestDataExport');
      const ready = outcome(data.requestDataExport, 'DataExportReady');
      this.setState({ export: ready }, () => document.getElementById('export-link')?.focus());
    });
  }

  downloadReceipt(consent) {
    const url = URL.createObjectURL(new Blob([consent.receipt], { type: 'application/jose' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `scorelink-consent-receipt-${consent.id}.jws`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), RECEIPT_URL_LIFETIME_MS);
  }

  // A data point behind the report (a reason code or a data source) the person says is wrong.
  dispute(event, me) {
    event.preventDefault();
    const { api, tr } = this.props;
    const points = this.disputable(me);
    const chosen = points[Number(this.state.disputePoint || 0)];
    const explanation = this.state.disputeText || '';
    return this.act('dispute', async () => {
      const data = await api.call('DisputeDataPoint', { kind: chosen.kind, reference: chosen.reference, explanation });
      const disputed = outcome(data.disputeDataPoint, 'DataPointDisputed');
      this.setState({ disputeText: '' });
      await this.reload();
      return tr.t('privacy.dispute.recorded', { date: tr.day(disputed.dispute.resolveBy) });
    });
  }

  disputable(me) {
    const { tr } = this.props;
    const report = me.report;
    if (!report) return [];
    const zh = tr.language === 'zh-Hans';
    return [
      ...report.reasonCodes.map((r) => ({ kind: 'REASON_CODE', reference: r.code, label: `${r.code} ${zh ? r.textZh : r.text}` })),
      ...report.dataSources.map((k) => ({ kind: 'DATA_SOURCE', reference: k, label: tr.t('privacy.dispute.source', { kind: tr.t(`kind.${k}`) }) })),
    ];
  }

  disputes(me) {
    const { tr } = this.props;
    const points = this.disputable(me);
    const busy = this.state.busy !== null;
    return html`
      <h2>${tr.t('privacy.dispute.title')}</h2>
      <p>${tr.t('privacy.dispute.explain')}</p>
      ${points.length
        ? html`<form onSubmit=${(e) => this.dispute(e, me)} novalidate>
            <label for="dispute-point">${tr.t('privacy.dispute.point')}</label>
            <select id="dispute-point" value=${this.state.disputePoint || '0'}
              onChange=${(e) => this.setState({ disputePoint: e.currentTarget.value })}>
              ${points.map((p, i) => html`<option value=${String(i)}>${p.label}</option>`)}
            </select>
            <label for="dispute-text">${tr.t('privacy.dispute.what')}</label>
            <textarea id="dispute-text" maxlength="2000" rows="4" value=${this.state.disputeText || ''}
              onInput=${(e) => this.setState({ disputeText: e.currentTarget.value })}></textarea>
            <button type="submit" class="primary" disabled=${busy || !(this.state.disputeText || '').trim()}>${tr.t('privacy.dispute.send')}</button>
          </form>`
        : html`<p>${tr.t('privacy.dispute.nothing')}</p>`}
      ${me.disputes.length > 0 && html`<ul class="plain">${me.disputes.map((d) => html`<li class="card small dispute">
          <p><strong>${{ REASON_CODE: d.reference, DATA_SOURCE: tr.t(`kind.${d.reference}`) }[d.kind] ?? tr.t(`disputeKind.${d.kind}`)}</strong>${' · '}${tr.t(`disputeStatus.${d.status}`)}</p>
          <p class="name">${d.explanation}</p>
          <p class="meta">${d.resolvedAt
            ? tr.t('privacy.dispute.resolved', { date: tr.day(d.resolvedAt), resolution: d.resolution ?? '' })
            : tr.t('privacy.dispute.due', { date: tr.day(d.resolveBy) })}</p>
        </li>`)}</ul>`}`;
  }

  // Step one of deleting: a new sign-in code, texted to the person's own number.
  sendCode(phone) {
    const { api, tr } = this.props;
    return this.act('code', async () => {
      try {
        const data = await api.anonymous('RequestLoginCode', { phone });
        const sent = outcome(data.requestLoginCode, 'LoginCodeSent');
        this.setState({
          deletion: { code: '', attemptsLeft: null }, resendAt: Date.now() + sent.resendAfter * 1000,
        }, () => document.getElementById('delete-code')?.focus());
        return tr.t('signin.sent', { phone: sent.phone, minutes: Math.round(sent.expiresIn / 60) });
      } catch (error) {
        // The code that signed the person in is spent, and a number gets one code a minute:
        // the button counts down to the next.
        if (error.code === 'RESEND_TOO_SOON' || error.code === 'RANGE_BUSY') {
          this.setState({ resendAt: Date.now() + (Number(error.details?.retryAfter) || 0) * 1000 });
        }
        throw error;
      }
    });
  }

  deleteAccount(event) {
    event.preventDefault();
    const { api } = this.props;
    const { deletion } = this.state;
    return this.act('delete', async () => {
      try {
        const data = await api.call('DeleteMyAccount', { code: deletion.code.trim() });
        const deleted = outcome(data.deleteMyAccount, 'AccountDeleted');
        this.props.onDeleted(deleted);
      } catch (error) {
        if (error.code === 'INVALID_CODE') {
          this.setState({ deletion: { ...this.state.deletion, attemptsLeft: error.details?.attemptsLeft ?? null } });
        }
        throw error;
      }
    });
  }

  cancelDeletion() {
    this.setState({ deletion: null, failure: null, notice: null }, () => document.getElementById('delete-start')?.focus());
  }

  view(me) {
    const { tr } = this.props;
    const busy = this.state.busy !== null;
    const ready = this.state.export;
    const withReceipts = me.consents.filter((c) => c.receipt);
    return html`
      <h2>${tr.t('privacy.export.title')}</h2>
      <p>${tr.t('privacy.export.explain')}</p>
      ${ready
        ? html`<p><a id="export-link" class="button primary" href=${ready.downloadUrl} download="scorelink-export.json">${tr.t('privacy.export.download')}</a></p>
          <p class="hint">${tr.t('privacy.export.once', { time: tr.when(ready.expiresAt) })}</p>`
        : ''}
      <div class="row">
        <button type="button" disabled=${busy} onClick=${() => this.exportData()}>
          ${tr.t(ready ? 'privacy.export.again' : 'privacy.export.prepare')}
        </button>
      </div>

      <h2>${tr.t('privacy.receipts.title')}</h2>
      <p>${tr.t('privacy.receipts.explain')}</p>
      ${withReceipts.length
        ? html`<ul class="plain">${withReceipts.map((c) => html`<li class="card small receipt">
            <p><strong class="name">${c.partner?.name ?? tr.t('partner.unknown')}</strong>${' · '}${tr.t(`consentStatus.${c.status}`)}</p>
            <p class="meta">${tr.t('consents.covers', { scopes: tr.scopes(c.scopes) })}${' · '}${tr.t('privacy.receipts.given', { date: tr.when(c.grantedAt) })}</p>
            <button type="button" onClick=${() => this.downloadReceipt(c)}>
              ${tr.t('privacy.receipts.downloadFor', { partner: c.partner?.name ?? tr.t('partner.unknown') })}
            </button>
          </li>`)}</ul>`
        : html`<p>${tr.t('privacy.receipts.none')}</p>`}

      ${this.disputes(me)}

      <h2>${tr.t('privacy.delete.title')}</h2>
      <div class="confirm">
        <p><strong>${tr.t('privacy.delete.warning')}</strong></p>
        <p>${tr.t('privacy.delete.what')}</p>
        <p>${tr.t('privacy.delete.exportFirst')}</p>
      </div>
      ${this.state.deletion ? this.codeForm(me) : html`<div class="row">
        <button type="button" class="danger" id="delete-start" disabled=${busy || this.resendWait() > 0}
          onClick=${() => this.sendCode(me.phone)}>
          ${this.resendWait() > 0
            ? tr.t('signin.resendIn', { seconds: this.resendWait() })
            : tr.t('privacy.delete.start', { phone: me.phone })}
        </button>
      </div>`}`;
  }

  resendWait() {
    return Math.max(0, Math.ceil(((this.state.resendAt ?? 0) - Date.now()) / 1000));
  }

  codeForm(me) {
    const { tr } = this.props;
    const { code, attemptsLeft } = this.state.deletion;
    const busy = this.state.busy !== null;
    const wait = this.resendWait();
    return html`<form onSubmit=${(e) => this.deleteAccount(e)} novalidate>
      <label for="delete-code">${tr.t('signin.code', { phone: me.phone })}</label>
      <input id="delete-code" type="text" inputmode="numeric" autocomplete="one-time-code"
        maxlength="6" required value=${code} aria-describedby="delete-tries"
        onInput=${(e) => this.setState({ deletion: { ...this.state.deletion, code: e.currentTarget.value } })} />
      <p id="delete-tries" class="hint">
        ${attemptsLeft === null ? tr.t('signin.codeHint') : tr.t('signin.triesLeft', { count: attemptsLeft })}
      </p>
      <button type="submit" class="danger" disabled=${busy || code.trim().length === 0}>${tr.t('privacy.delete.confirm')}</button>
      <div class="row">
        <button type="button" disabled=${busy || wait > 0} onClick=${() => this.sendCode(me.phone)}>
          ${wait > 0 ? tr.t('signin.resendIn', { seconds: wait }) : tr.t('signin.resend')}
        </button>
        <button type="button" disabled=${busy} onClick=${() => this.cancelDeletion()}>${tr.t('action.cancel')}</button>
      </div>
    </form>`;
  }
}
