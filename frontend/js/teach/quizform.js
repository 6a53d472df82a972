// The quiz builder: one small form per question, shaped by its type, that
// edits the question object in place and checks what it can as the author
// types. The server's check (problems placed on a question) is the one that
// decides; these are early hints with the same wording of the rules.
import { el } from '../shell.js';
import { t } from '../i18n.js';

const TYPES = ['single', 'multiple', 'true_false', 'fill_blank'];

// blank makes a new question of a type with an id unused in the lesson.
export function blank(type, questions) {
  let n = questions.length + 1;
  const ids = new Set(questions.map((q) => q.id));
  while (ids.has('q' + n)) n++;
  const q = { id: 'q' + n, type, prompt: '', options: [], index: 0, indexes: [], bool: true, texts: [], explanation: '', fixed: false };
  if (type === 'single' || type === 'multiple') q.options = ['', ''];
  if (type === 'fill_blank') q.texts = [''];
  return q;
}

// hints are the problems visible without the server.
export function hints(q) {
  const out = [];
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(q.id)) out.push(t('editor.q.hint_id'));
  if (!q.prompt.trim()) out.push(t('editor.q.hint_prompt'));
  if (!q.explanation.trim()) out.push(t('editor.q.hint_explanation'));
  if (q.type === 'single' || q.type === 'multiple') {
    if (q.options.length < 2 || q.options.some((o) => !o.trim())) out.push(t('editor.q.hint_options'));
    if (q.type === 'multiple' && !q.indexes.length) out.push(t('editor.q.hint_answer'));
  }
  if (q.type === 'fill_blank' && !q.texts.some((s) => s.trim())) out.push(t('editor.q.hint_texts'));
  return out;
}

// render builds the form of question i; changed() is called after every
// edit, moved(i, delta) and removed(i) after the buttons.
export function render(q, i, total, serverProblems, { changed, moved, removed }) {
  const id = (s) => `q${i}-${s}`;
  const box = el('fieldset', { class: 'question-form', 'data-question': String(i) });
  box.append(el('legend', {}, t('editor.q.legend', { n: i + 1, type: t('editor.q.' + q.type) })));

  const idInput = el('input', { id: id('id'), value: q.id, maxlength: '32', autocomplete: 'off', spellcheck: 'false' });
  idInput.addEventListener('input', () => { q.id = idInput.value.trim(); changed(); refresh(); });
  box.append(el('label', { for: id('id') }, t('editor.q.id')), idInput);

  const prompt = el('textarea', { id: id('prompt'), rows: '2', required: true });
  prompt.value = q.prompt;
  prompt.addEventListener('input', () => { q.prompt = prompt.value; changed(); refresh(); });
  box.append(el('label', { for: id('prompt') }, t('editor.q.prompt')), prompt);

  const answers = el('div', { class: 'answers' });
  box.append(answers);
  const drawAnswers = () => {
    answers.replaceChildren();
    if (q.type === 'single' || q.type === 'multiple') {
      const fs = el('fieldset');
      fs.append(el('legend', {}, t(q.type === 'single' ? 'editor.q.options_single' : 'editor.q.options_multiple')));
      q.options.forEach((opt, j) => {
        const row = el('div', { class: 'option-row' });
        const mark = el('input', {
          type: q.type === 'single' ? 'radio' : 'checkbox', name: id('correct'), id: id('correct-' + j),
          'aria-label': t('editor.q.correct', { n: j + 1 }),
        });
        mark.checked = q.type === 'single' ? q.index === j : q.indexes.includes(j);
        mark.addEventListener('change', () => {
          if (q.type === 'single') q.index = j;
          else q.indexes = mark.checked ? [...new Set([...q.indexes, j])].sort((a, b) => a - b) : q.indexes.filter((x) => x !== j);
          changed(); refresh();
        });
        const text = el('input', { id: id('opt-' + j), value: opt, 'aria-label': t('editor.q.option', { n: j + 1 }) });
        text.addEventListener('input', () => { q.options[j] = text.value; changed(); refresh(); });
        const del = el('button', { type: 'button', class: 'small secondary', 'aria-label': t('editor.q.remove_option', { n: j + 1 }) }, '×');
        del.disabled = q.options.length <= 2;
        del.addEventListener('click', () => {
          q.options.splice(j, 1);
          q.indexes = q.indexes.filter((x) => x !== j).map((x) => (x > j ? x - 1 : x));
          if (q.index >= q.options.length) q.index = 0;
          changed(); drawAnswers(); refresh();
        });
        row.append(mark, text, del);
        fs.append(row);
      });
      const add = el('button', { type: 'button', class: 'small' }, t('editor.q.add_option'));
      add.disabled = q.options.length >= 10;
      add.addEventListener('click', () => { q.options.push(''); changed(); drawAnswers(); refresh(); });
      fs.append(add);
      answers.append(fs);
    } else if (q.type === 'true_false') {
      const fs = el('fieldset');
      fs.append(el('legend', {}, t('editor.q.answer')));
      for (const v of [true, false]) {
        const r = el('input', { type: 'radio', name: id('bool'), id: id('bool-' + v) });
        r.checked = q.bool === v;
        r.addEventListener('change', () => { q.bool = v; changed(); });
        const lab = el('label', { for: id('bool-' + v), class: 'check' });
        lab.append(r, ' ', t(v ? 'editor.q.true' : 'editor.q.false'));
        fs.append(lab);
      }
      answers.append(fs);
    } else {
      const ta = el('textarea', { id: id('texts'), rows: '3', 'aria-describedby': id('texts-help') });
      ta.value = q.texts.join('\n');
      ta.addEventListener('input', () => { q.texts = ta.value.split('\n').map((s) => s.trim()).filter(Boolean); changed(); refresh(); });
      answers.append(el('label', { for: id('texts') }, t('editor.q.texts')), ta,
        el('p', { id: id('texts-help'), class: 'muted small' }, t('editor.q.texts_help')));
    }
  };
  drawAnswers();

  const expl = el('textarea', { id: id('explanation'), rows: '2', required: true });
  expl.value = q.explanation;
  expl.addEventListener('input', () => { q.explanation = expl.value; changed(); refresh(); });
  box.append(el('label', { for: id('explanation') }, t('editor.q.explanation')), expl);

  const hintList = el('ul', { class: 'problem-list', id: id('hints'), 'aria-live': 'polite' });
  box.append(hintList);
  function refresh() {
    hintList.replaceChildren();
    for (const h of hints(q)) hintList.append(el('li', {}, h));
    for (const p of serverProblems) hintList.append(el('li', { class: 'server' }, p.message));
    const bad = hintList.children.length > 0;
    invalid(prompt, bad && !q.prompt.trim());
    invalid(expl, bad && !q.explanation.trim());
  }
  refresh();
  // The server's problems arrive after each autosave; they replace the old
  // ones without redrawing the form the author may be typing in.
  box.setServerProblems = (ps) => { serverProblems = ps; refresh(); };

  const tools = el('div', { class: 'question-tools' });
  const up = el('button', { type: 'button', class: 'small secondary' }, t('editor.move_up'));
  up.disabled = i === 0;
  up.addEventListener('click', () => moved(i, -1));
  const down = el('button', { type: 'button', class: 'small secondary' }, t('editor.move_down'));
  down.disabled = i === total - 1;
  down.addEventListener('click', () => moved(i, 1));
  const del = el('button', { type: 'button', class: 'small secondary' }, t('editor.q.delete'));
  del.addEventListener('click', () => removed(i));
  tools.append(up, down, del);
  box.append(tools);
  return box;
}

function invalid(node, on) {
  if (on) node.setAttribute('aria-invalid', 'true');
  else node.removeAttribute('aria-invalid');
}

export { TYPES };
