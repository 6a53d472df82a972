// The question analysis, shared by a class's page (its members) and the
// list of classes (administrators: every learner in their scope): choose a
// course and a lesson, see each quiz question worst first.
import { el } from '../shell.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { errorText, say } from '../admin/common.js';

function wrongText(q) {
  const w = q.most_chosen_wrong_option;
  if (w === null || w === undefined) return t('teach.nobody_wrong');
  if (typeof w === 'number') return q.options?.[w] ?? String(w);
  if (typeof w === 'boolean') return t(w ? 'teach.answer_true' : 'teach.answer_false');
  return '“' + w + '”';
}

// questionAnalysis wires the form of selects #q-course and #q-lesson, the
// table #questions and the status #questions-status. path is the API
// address taking ?lesson_id=. It returns setCourses([{slug, title}]).
export function questionAnalysis(path) {
  const courseSel = document.getElementById('q-course');
  const lessonSel = document.getElementById('q-lesson');
  const table = document.getElementById('questions');
  const status = document.getElementById('questions-status');

  // Choosing a course while the previous choice (or the first course, on
  // load) is still loading must not let the older answer land last: each
  // load aborts the one before, and an answer that arrives aborted is
  // dropped.
  let current = null;
  function fresh() {
    current?.abort();
    current = new AbortController();
    return current.signal;
  }

  async function loadQuestions(signal = fresh()) {
    const lesson = lessonSel.value;
    table.replaceChildren();
    if (!lesson) return;
    say(status, t('common.loading'));
    try {
      const data = await api('GET', `${path}?lesson_id=${encodeURIComponent(lesson)}`, undefined, { signal });
      if (signal.aborted) return;
      table.append(el('caption', {}, t('teach.questions_caption')));
      const hr = el('tr');
      for (const k of ['teach.question', 'teach.q_attempts', 'teach.q_first_try', 'teach.q_wrong']) hr.append(el('th', { scope: 'col' }, t(k)));
      table.append(el('thead'), el('tbody'));
      table.tHead.append(hr);
      for (const q of data.questions) {
        const tr = el('tr', { 'data-question': q.id });
        tr.append(el('th', { scope: 'row' }, q.prompt), el('td', {}, String(q.attempts)),
          el('td', {}, q.attempts ? Math.round(q.first_try_correct_share * 100) + '%' : '—'),
          el('td', { class: 'wrong' }, q.attempts ? wrongText(q) : '—'));
        table.tBodies[0].append(tr);
      }
      say(status, data.questions.length ? '' : t('teach.questions_none'));
    } catch (err) {
      if (!signal.aborted) say(status, errorText(err), 'error');
    }
  }

  async function fillLessons() {
    const signal = fresh();
    try {
      const c = await api('GET', '/courses/' + encodeURIComponent(courseSel.value), undefined, { signal });
      if (signal.aborted) return;
      lessonSel.replaceChildren(...(c.lessons || []).map((l) => el('option', { value: String(l.id) }, l.title)));
      await loadQuestions(signal);
    } catch (err) {
      if (!signal.aborted) say(status, errorText(err), 'error');
    }
  }

  courseSel.addEventListener('change', fillLessons);
  lessonSel.addEventListener('change', () => loadQuestions());
  courseSel.form.addEventListener('submit', (ev) => ev.preventDefault());

  return function setCourses(courses) {
    const prev = courseSel.value;
    courseSel.replaceChildren(...courses.map((c) => el('option', { value: c.slug }, c.title)));
    if (prev && courses.some((c) => c.slug === prev)) courseSel.value = prev;
    if (courses.length) return fillLessons();
    lessonSel.replaceChildren();
    table.replaceChildren();
    return null;
  };
}
