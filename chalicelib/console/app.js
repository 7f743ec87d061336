// The console shell: sign-in, navigation (#/page), language switch, sign-out.
import { api, session, whenUnauthorized } from './api.js';
import { lang, setLang, t } from './i18n.js';
import { importPage } from './import.js';
import { overview, sendLog, statsPage, testNumbers } from './pages.js';
import { settingsPage } from './settings.js';
import { templatesPage } from './templates.js';
import { clear, field, h, message, withCode } from './ui.js';
import { usersPage } from './users.js';

const PAGES = [
  ['overview', overview], ['stats', statsPage], ['settings', settingsPage], ['templates', templatesPage],
  ['log', sendLog], ['testnumbers', testNumbers], ['users', usersPage], ['import', importPage],
];
const root = document.getElementById('root');

function langButton() {
  return h('button', { type: 'button', className: 'link', id: 'lang', lang: lang() === 'en' ? 'zh-CN' : 'en',
    onclick: () => { setLang(lang() === 'en' ? 'zh-CN' : 'en'); render(); } }, t('lang.switch'));
}

function signIn(note) {
  document.title = t('app.title');
  const status = h('div', { id: 'signin-status' }, note ? message('error', note) : null);
  const form = h('form', { id: 'signin', className: 'signin stack', autocomplete: 'off' },
    h('h1', {}, t('app.title')), h('p', { className: 'lead' }, withCode(t('signin.lead'))),
    field(t('signin.appId'), h('input', { name: 'appId', type: 'text', required: true, value: session.appId, autocomplete: 'username' })),
    field(t('signin.key'), h('input', { name: 'key', type: 'password', required: true, autocomplete: 'current-password' })),
    h('button', { type: 'submit' }, t('signin.submit')), status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const creds = { appId: form.elements.appId.value.trim(), key: form.elements.key.value };
    try {
      await api('GET', 'admin/v1/settings', undefined, { creds });
    } catch (err) {
      let appKey = false;
      if (err.status === 401) {  // the app key by mistake? it is refused with 119 when sent as one
        try { await api('GET', 'admin/v1/settings', undefined, { creds: { ...creds, plain: true } }); } catch (e) { appKey = e.code === 119; }
      }
      const text = appKey ? t('signin.appkey') : err.status === 401 ? t('signin.wrong') : t('signin.failed', { error: err.message });
      clear(status, message('error', text));
      form.elements.key.value = '';
      return;
    }
    session.signIn(creds.appId, creds.key);
    if (!window.location.hash) window.location.hash = '#/overview';
    render();
  });
  clear(root, h('div', { className: 'signin-wrap' }, h('div', { className: 'top-right' }, langButton()), form));
  form.elements[session.appId ? 'key' : 'appId'].focus();
}

function current() {
  const name = (window.location.hash.replace(/^#\//, '').split('?')[0]) || 'overview';
  return PAGES.find(([n]) => n === name) || PAGES[0];
}

let generation = 0;

async function render() {
  document.documentElement.lang = lang();
  if (!session.key) { signIn(); return; }
  const [name, page] = current();
  document.title = `${t(`nav.${name}`)} · ${t('app.title')}`;
  const main = h('main', { id: 'main', 'data-page': name });
  const nav = h('nav', {}, PAGES.map(([n]) => h('a', { href: `#/${n}`, className: n === name ? 'active' : '', id: `nav-${n}` }, t(`nav.${n}`))));
  clear(root,
    h('header', {}, h('div', { className: 'brand' }, t('app.title')), nav,
      h('div', { className: 'session' }, h('span', { className: 'app-id' }, session.appId), langButton(),
        h('button', { type: 'button', className: 'link', id: 'signout', onclick: () => { session.signOut(); window.location.hash = ''; signIn(); } }, t('signout')))),
    main);
  const mine = ++generation;
  main.append(message('info', t('common.loading')));
  try {
    await page(main);
  } catch (err) {
    if (mine === generation && err.status !== 401) clear(main, message('error', t('common.error', { error: err.message })));
  }
  if (mine === generation) main.setAttribute('data-ready', '1');
}

whenUnauthorized(() => { session.signOut(); signIn(t('signin.expired')); });
window.addEventListener('hashchange', render);
render();
