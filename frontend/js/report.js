// "Report a problem" on a lesson: what is wrong (four choices) and an
// optional note, sent to the course's editors. Loaded only when a learner
// opens the disclosure on the lesson page.
import { el } from './shell.js';
import { t } from './i18n.js';
import { api } from './api.js';

const reasons = ['wrong_fact', 'broken_link', 'unclear', 'other'];
const maxText = 1000;

export function reportForm(lessonId) {
  const form = el('form', { id: 'report-form', novalidate: true });
  const fs = el('fieldset');
  fs.append(el('legend', {}, t('report.legend')));
  for (const r of reasons) {
    const label = el('label', { class: 'check' });
    label.append(el('input', { type: 'radio', name: 'reason', value: r, required: true }), ' ', el('span', {}, t('report.reason.' + r)));
    fs.append(label);
  }
  const textLabel = el('label', { for: 'report-text' }, t('report.text'));
  const text = el('textarea', { id: 'report-text', name: 'text', rows: '3', maxlength: String(maxText), 'aria-describedby': 'report-text-help' });
  const help = el('p', { id: 'report-text-help', class: 'muted small' }, t('report.text_help'));
  const submit = el('button', { type: 'submit' }, t('report.submit'));
  const status = el('p', { id: 'report-status', class: 'status', role: 'status', 'aria-live': 'polite' });
  form.append(fs, textLabel, text, help, submit, status);
  const say = (msg, kind = '') => { status.className = 'status' + (kind ? ' ' + kind : ''); status.textContent = msg; };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const reason = form.elements.reason.value;
    if (!reason) {
      say(t('report.error.reason_invalid'), 'error');
      form.querySelector('input[name=reason]').focus();
      return;
    }
    submit.disabled = true;
    say(t('report.sending'));
    try {
      await api('POST', `/lessons/${lessonId}/reports`, { reason, text: text.value });
      form.reset();
      say(t('report.sent'), 'ok');
    } catch (err) {
      say(err instanceof TypeError ? t('common.network_error') : err.message, 'error');
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
