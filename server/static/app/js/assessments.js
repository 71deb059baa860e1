// Credit assessments partners asked about the person: who, which amount, the product, where
// it stands and what ScoreLink told the partner. The partner decides; the app says so.
import { html, Screen } from './ui.js';

export class Assessments extends Screen {
  titleKey = 'assessments.title';

  async fetch() {
    return (await this.props.api.call('Assessments')).me.assessments;
  }

  view(assessments) {
    const { tr } = this.props;
    if (!assessments.length) return html`<p>${tr.t('assessments.none')}</p>`;
    return html`<p class="hint">${tr.t('assessments.intro')}</p>
      ${assessments.map((a) => this.card(a))}`;
  }

  card(assessment) {
    const { tr } = this.props;
    const headingId = `assessment-${assessment.id}`;
    const partner = assessment.partner;
    return html`<article class=${`card assessment status-${assessment.status}`} aria-labelledby=${headingId}>
      <h2 id=${headingId} class="name">${partner?.name ?? tr.t('partner.unknown')}</h2>
      <p class="meta">${partner ? tr.t(`partnerType.${partner.type}`) : ''}</p>
      <p>${tr.t('assessments.asked', {
        amount: tr.money(assessment.amount),
        product: tr.t(`product.${assessment.product}`),
        months: assessment.termMonths,
      })}</p>
      <dl class="facts small">
        <div><dt>${tr.t('assessments.status')}</dt><dd><strong>${tr.t(`assessmentStatus.${assessment.status}`)}</strong></dd></div>
        <div><dt>${tr.t('assessments.outcome')}</dt><dd>${assessment.outcome
          ? tr.t(`outcome.${assessment.outcome}`)
          : tr.t('assessments.noOutcome')}</dd></div>
        <div><dt>${tr.t('assessments.received')}</dt><dd>${tr.when(assessment.receivedAt)}</dd></div>
        <div><dt>${tr.t('assessments.completed')}</dt><dd>${assessment.completedAt
          ? tr.when(assessment.completedAt)
          : tr.t('assessments.notYet')}</dd></div>
      </dl>
      ${this.tasks(assessment)}
    </article>`;
  }

  // A WAITING_FOR_PERSON assessment goes on by itself once the person links what it needs:
  // say what, in the catalogue's words (the API's text is English only), and take them there.
  tasks(assessment) {
    const { tr } = this.props;
    if (!assessment.tasks.length) return null;
    return html`<div class="tasks">
      <p>${tr.t('assessments.tasksIntro')}</p>
      <ul>${assessment.tasks.map((task) => html`<li><strong>${tr.t(`assessmentTask.${task.kind}`)}</strong></li>`)}</ul>
      <button type="button" onClick=${() => { window.location.hash = '#/accounts'; }}>${tr.t('assessments.goLink')}</button>
    </div>`;
  }
}
