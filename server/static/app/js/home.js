// The grade, what it rests on, and what would improve it.
import { html, Screen } from './ui.js';

export class Home extends Screen {
  titleKey = 'home.title';

  async fetch() {
    return (await this.props.api.call('Home')).me;
  }

  view(me) {
    const { tr } = this.props;
    const report = me.report;
    if (!report) {
      return html`<p>${tr.t('home.noReport')}</p><p><a href="#/accounts">${tr.t('home.linkFirst')}</a></p>`;
    }
    if (report.status !== 'READY') {
      return html`<p>${tr.t('home.insufficient')}</p><p><a href="#/accounts">${tr.t('home.linkFirst')}</a></p>
        ${this.about(report)}`;
    }
    const zh = tr.language === 'zh-Hans';
    return html`
      <div class="card grade-card">
        <p class="grade">
          <span class="sr-only">${tr.t('home.gradeLabel', { grade: report.grade })}</span>
          <span aria-hidden="true">${report.grade}</span>
        </p>
        <dl class="facts">
          <div><dt>${tr.t('home.score')}</dt><dd>${tr.t('home.scoreValue', { score: report.score })}</dd></div>
          <div><dt>${tr.t('home.band')}</dt><dd>${tr.t(`grade.${report.grade}.band`)}</dd></div>
          <div><dt>${tr.t('home.probability')}</dt><dd>${tr.percent.format(report.defaultProbability)}</dd></div>
        </dl>
      </div>
      <h2>${tr.t('home.reasons')}</h2>
      ${report.reasonCodes.length
        ? html`<ul class="reasons">${report.reasonCodes.map(
          (r) => html`<li><span class="code">${r.code}</span> ${zh ? r.textZh : r.text}</li>`,
        )}</ul>`
        : html`<p>${tr.t('home.noReasons')}</p>`}
      <h2>${tr.t('home.improvements')}</h2>
      ${report.improvements.length
        ? html`<ul class="improvements">${report.improvements.map(
          (i) => html`<li><strong>${tr.t('home.points', { points: i.pointsGain })}</strong> ${zh ? i.textZh : i.text}</li>`,
        )}</ul><p class="hint">${tr.t('home.improvementsHint')}</p>`
        : html`<p>${tr.t('home.noImprovements')}</p>`}
      ${this.about(report)}`;
  }

  about(report) {
    const { tr } = this.props;
    return html`<dl class="facts small">
      <div><dt>${tr.t('home.computedAt')}</dt><dd>${tr.when(report.computedAt)}</dd></div>
      <div><dt>${tr.t('home.model')}</dt><dd class="mono">${report.modelVersion}</dd></div>
      <div><dt>${tr.t('home.sources')}</dt><dd>${report.dataSources.length
        ? report.dataSources.map((k) => tr.t(`kind.${k}`)).join(tr.t('list.separator'))
        : tr.t('home.noSources')}</dd></div>
    </dl>`;
  }
}
