// The end-of-lesson quiz. The browser never sees the answers: it sends what
// the learner chose and shows the server's marks and explanations.
import { el } from './shell.js';
import { t } from './i18n.js';
import { api } from './api.js';
import { num } from './format.js';
import { uuid } from './progress.js';
import { queueAttempt, queuedAttempt, sentAttempt, GRADED, CHANGED } from './offline.js';

// renderQuiz returns the quiz section. onResult(response) runs after each
// graded attempt; onNotEnrolled when the server says 403; reload() fetches
// the lesson again for a retry, which the server shows in another order.
export function renderQuiz(lesson, { onResult = () => {}, onNotEnrolled = () => {}, reload = null } = {}) {
  const language = lesson.course.language;
  const questions = lesson.questions || [];
  const section = el('section', { class: 'quiz', id: 'quiz', 'aria-labelledby': 'quiz-heading' });
  section.append(el('h2', { id: 'quiz-heading' }, t('quiz.title')));
  section.append(el('p', { class: 'muted', id: 'quiz-intro' }, t('quiz.intro', { n: num(questions.length, 0) })));
  if (lesson.best_score != null) section.append(el('p', { class: 'muted' }, t('quiz.best_so_far', { n: num(lesson.best_score, 0) })));

  const form = el('form', { id: 'quiz-form', novalidate: true });
  // The score goes above the questions: focus lands on it after marking,
  // and reading on goes through each question's explanation.
  const result = el('div', { id: 'quiz-result', class: 'quiz-result', tabindex: '-1', hidden: true });
  form.append(result);
  questions.forEach((q, i) => form.append(question(q, i, language)));
  const status = el('p', { id: 'quiz-status', class: 'status', role: 'status', 'aria-live': 'polite' });
  const actions = el('div', { class: 'actions' });
  const submit = el('button', { type: 'submit', id: 'quiz-submit' }, t('quiz.submit'));
  const retry = el('button', { type: 'button', id: 'quiz-retry', class: 'secondary', hidden: true }, t('quiz.retry'));
  actions.append(submit, retry);
  form.append(actions, status);
  section.append(form);

  let warnedMissing = false;
  // One id per submission: a resend after a lost answer gets the stored
  // result instead of counting as another attempt.
  let attemptId = null;
  form.addEventListener('change', () => { warnedMissing = false; attemptId = null; });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearMarks(form);
    const { answers, missing } = collect(form, questions);
    if (missing.length && !warnedMissing) {
      // One gentle warning, then a second press submits anyway: an
      // unanswered question simply counts as wrong.
      warnedMissing = true;
      status.className = 'status error';
      status.textContent = t('quiz.unanswered', { list: missing.map((i) => num(i + 1, 0)).join(t('common.list_sep')) });
      focusQuestion(form, questions[missing[0]].id);
      return;
    }
    submit.disabled = true;
    status.className = 'status';
    status.textContent = t('quiz.submitting');
    let res;
    attemptId = attemptId || uuid();
    try {
      res = await api('POST', `/lessons/${lesson.id}/attempts`, { answers, attempt_key: lesson.attempt_key, attempt_id: attemptId });
    } catch (err) {
      // No connection: the answers wait on this device and are marked
      // when it returns (offline.js), under the same attempt id.
      if (err instanceof TypeError && queueAttempt({ attempt_id: attemptId, lesson_id: lesson.id, lesson_title: lesson.title,
        course_slug: lesson.course.slug, answers, attempt_key: lesson.attempt_key })) {
        waitForMarks(attemptId);
        return;
      }
      if (!(err instanceof TypeError)) attemptId = null;
      submit.disabled = false;
      status.className = 'status error';
      status.textContent = err instanceof TypeError ? t('common.network_error') : err.message;
      if (err.status === 403) onNotEnrolled();
      if (err.status === 400 && err.field) {
        const fs = form.querySelector(`[data-qid="${CSS.escape(err.field)}"]`);
        if (fs) {
          fs.classList.add('invalid');
          for (const input of fs.querySelectorAll('input')) input.setAttribute('aria-invalid', 'true');
          const fb = fs.querySelector('.feedback');
          fb.replaceChildren(el('p', { class: 'mark' }, err.message));
          fb.hidden = false;
          focusQuestion(form, err.field);
        }
      }
      return;
    }
    graded(res);
  });

  // waitForMarks shows answers queued offline as saved, and their marks
  // once offline.js has sent them.
  function waitForMarks(id) {
    submit.disabled = true;
    for (const fs of form.querySelectorAll('fieldset')) fs.disabled = true;
    status.className = 'status notice';
    status.dataset.queued = 'true';
    status.textContent = t('offline.quiz_queued');
    const stop = () => {
      removeEventListener(GRADED, onGraded);
      removeEventListener(CHANGED, onChanged);
      for (const fs of form.querySelectorAll('fieldset')) fs.disabled = false;
      delete status.dataset.queued;
    };
    const onGraded = (ev) => {
      if (ev.detail.attempt.attempt_id !== id) return;
      stop();
      graded(ev.detail.result);
    };
    // Gone from the queue: marked (perhaps by another tab, which left the
    // marks in storage), or refused by the server (the header says why).
    const onChanged = () => {
      if (queuedAttempt(lesson.id)?.attempt_id === id) return;
      const sent = sentAttempt(id);
      stop();
      if (sent?.result) {
        graded(sent.result);
        return;
      }
      attemptId = null;
      submit.disabled = false;
      status.className = 'status error';
      status.textContent = t('offline.quiz_refused');
    };
    addEventListener(GRADED, onGraded);
    addEventListener(CHANGED, onChanged);
  }

  function graded(res) {
    submit.disabled = false;
    showResult(form, res, language);
    result.hidden = false;
    result.dataset.passed = String(!!res.passed);
    result.replaceChildren(
      el('h3', {}, t('quiz.score', { n: num(res.score, 0) })),
      el('p', { class: res.passed ? 'ok' : 'bad', id: 'quiz-verdict' },
        t(res.passed ? 'quiz.passed' : 'quiz.failed', { n: num(res.pass_score, 0) })));
    status.className = 'status';
    status.textContent = '';
    submit.hidden = true;
    retry.hidden = false;
    result.focus();
    onResult(res);
  }

  // Answers given offline on an earlier visit are still waiting.
  const pending = queuedAttempt(lesson.id);
  if (pending) {
    attemptId = pending.attempt_id;
    restore(form, questions, pending.answers || {});
    waitForMarks(pending.attempt_id);
  }

  retry.addEventListener('click', async () => {
    attemptId = null;
    if (reload) {
      retry.disabled = true;
      try {
        const fresh = await reload();
        const next = renderQuiz(fresh, { onResult, onNotEnrolled, reload });
        section.replaceWith(next);
        next.querySelector('input')?.focus();
        return;
      } catch (_) {
        retry.disabled = false; // offline: retry in the order already shown
      }
    }
    form.reset();
    clearMarks(form);
    for (const fs of form.querySelectorAll('fieldset')) fs.disabled = false;
    result.hidden = true;
    delete result.dataset.passed;
    retry.hidden = true;
    submit.hidden = false;
    status.textContent = '';
    warnedMissing = false;
    form.querySelector('input')?.focus();
  });
  return section;
}

function question(q, i, language) {
  const fs = el('fieldset', { class: 'question', id: 'question-' + q.id, 'data-qid': q.id, 'data-type': q.type });
  const legend = el('legend');
  legend.append(el('span', { class: 'qnum' }, t('quiz.number', { n: num(i + 1, 0) })), el('span', { lang: language }, q.prompt));
  if (q.type === 'multiple') legend.append(el('span', { class: 'hint' }, t('quiz.choose_all')));
  fs.append(legend);
  const name = 'q-' + q.id;
  if (q.type === 'single' || q.type === 'multiple') {
    const type = q.type === 'single' ? 'radio' : 'checkbox';
    (q.options || []).forEach((text, j) => fs.append(choice(type, name, String(j), text, language)));
  } else if (q.type === 'true_false') {
    fs.append(choice('radio', name, 'true', t('quiz.true')), choice('radio', name, 'false', t('quiz.false')));
  } else {
    fs.append(el('label', { for: name, class: 'sr-only' }, t('quiz.your_answer')),
      el('input', { id: name, name, type: 'text', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '200' }));
  }
  const fb = el('div', { class: 'feedback', id: 'feedback-' + q.id, hidden: true });
  fs.setAttribute('aria-describedby', fb.id);
  fs.append(fb);
  return fs;
}

// restore shows the answers given offline, in the order they were given
// (the lesson kept on this device carries the same attempt key).
function restore(form, questions, answers) {
  for (const q of questions) {
    const a = answers[q.id];
    if (a === undefined) continue;
    const all = [...inputs(form, q)];
    if (q.type === 'fill_blank' || (all[0] && all[0].type === 'text')) { if (all[0]) all[0].value = String(a); continue; }
    const chosen = new Set((Array.isArray(a) ? a : [a]).map(String));
    for (const x of all) x.checked = chosen.has(x.value);
  }
}

function choice(type, name, value, text, language) {
  const label = el('label', { class: 'choice' });
  label.append(el('input', { type, name, value }), el('span', language ? { lang: language } : {}, text));
  return label;
}

function inputs(form, q) {
  return form.querySelectorAll(`[name="${CSS.escape('q-' + q.id)}"]`);
}

// collect reads the answers in the shapes the API expects; unanswered
// questions are left out and their indexes returned.
function collect(form, questions) {
  const answers = {};
  const missing = [];
  questions.forEach((q, i) => {
    const all = [...inputs(form, q)];
    const checked = all.filter((x) => x.checked).map((x) => x.value);
    let a;
    if (q.type === 'single') { if (checked.length) a = Number(checked[0]); }
    else if (q.type === 'multiple') { if (checked.length) a = checked.map(Number); }
    else if (q.type === 'true_false') { if (checked.length) a = checked[0] === 'true'; }
    else { const v = (all[0]?.value || '').trim(); if (v) a = v; }
    if (a === undefined) missing.push(i);
    else answers[q.id] = a;
  });
  return { answers, missing };
}

function clearMarks(form) {
  for (const fs of form.querySelectorAll('fieldset')) {
    fs.classList.remove('correct', 'incorrect', 'invalid');
    const fb = fs.querySelector('.feedback');
    fb.hidden = true;
    fb.replaceChildren();
  }
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

function showResult(form, res, language) {
  const byId = new Map((res.results || []).map((r) => [r.question_id, r]));
  for (const fs of form.querySelectorAll('fieldset')) {
    const r = byId.get(fs.dataset.qid);
    fs.disabled = true;
    if (!r) continue;
    fs.classList.add(r.correct ? 'correct' : 'incorrect');
    const fb = fs.querySelector('.feedback');
    const mark = el('p', { class: 'mark' });
    mark.append(el('span', { 'aria-hidden': 'true' }, r.correct ? '✓ ' : '✗ '), el('span', {}, t(r.correct ? 'quiz.correct' : 'quiz.incorrect')));
    fb.replaceChildren(mark);
    if (r.explanation) fb.append(el('p', { lang: language, class: 'explanation' }, r.explanation));
    fb.hidden = false;
  }
}

function focusQuestion(form, qid) {
  const fs = form.querySelector(`[data-qid="${CSS.escape(qid)}"]`);
  if (!fs) return;
  fs.scrollIntoView({ block: 'center', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
  fs.querySelector('input')?.focus({ preventScroll: true });
}
