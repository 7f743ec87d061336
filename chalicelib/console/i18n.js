// UI text in English and Simplified Chinese. The language comes from the browser
// (navigator.languages) until the operator picks one; the choice is kept in localStorage.
const EN = {
  'app.title': 'verikit console',
  'lang.switch': '中文',
  'signin.title': 'Sign in',
  'signin.lead': 'Use the app ID and the master key that `make run` or `make deploy` printed. The key stays in this browser tab only and is forgotten when you sign out or close the tab.',
  'signin.appId': 'App ID',
  'signin.key': 'Master key',
  'signin.submit': 'Sign in',
  'signin.wrong': 'Wrong app ID or master key.',
  'signin.appkey': 'That is the app key. The console needs the master key.',
  'signin.failed': 'Could not reach verikit: {error}',
  'signin.expired': 'The master key is no longer accepted. Sign in again.',
  'signout': 'Sign out',
  'nav.overview': 'Overview', 'nav.stats': 'Stats', 'nav.settings': 'Settings', 'nav.templates': 'Templates',
  'nav.log': 'Send log', 'nav.testnumbers': 'Test numbers', 'nav.users': 'Users', 'nav.import': 'Import',
  'common.loading': 'Loading…', 'common.save': 'Save', 'common.cancel': 'Cancel', 'common.delete': 'Delete',
  'common.edit': 'Edit', 'common.error': 'Error: {error}', 'common.saved': 'Saved.', 'common.none': 'Nothing here yet.',
  'common.yes': 'yes', 'common.no': 'no', 'common.default': 'Default: {value}', 'common.search': 'Search',
  'common.deleted': 'Deleted.', 'common.confirm': 'Confirm',
  'source.stats': 'Figures from the stats route.',
  'source.log': 'Figures counted from the send log (this server has no stats route yet); verifications need the stats route.',
  'overview.title': 'Today (UTC)',
  'overview.sent': 'Sends', 'overview.verified': 'Verifications', 'overview.conversion': 'Conversion',
  'overview.blocked': 'Blocked sends', 'overview.budget': 'Daily app budget used',
  'overview.budget.of': '{used} of {limit}', 'overview.budget.off': 'no daily budget (per_app_daily is 0)',
  'overview.na': 'n/a', 'overview.week': 'Last 7 days', 'overview.latest': 'Latest sends',
  'stats.range': 'Period', 'stats.days': 'Last {n} days', 'stats.byDay': 'By day', 'stats.byCountry': 'By country',
  'stats.key': 'Key', 'stats.day': 'Day', 'stats.country': 'Country',
  'stats.sent': 'Sent', 'stats.verified': 'Verified', 'stats.blocked': 'Blocked', 'stats.conversion': 'Conversion',
  'stats.empty': 'No sends in this period.',
  'settings.lead': 'Every setting, as PATCH /admin/v1/settings stores it. Changes take effect as soon as they are saved (other server instances within their config cache time, 10 s by default).',
  'settings.save': 'Save changes', 'settings.nochange': 'Nothing changed.', 'settings.invalid': 'Fix the fields marked in red.',
  'settings.saved': 'Saved {n} setting(s).', 'settings.list.help': 'Comma-separated.',
  'group.codes': 'Codes and messages', 'group.limits': 'Limits', 'group.abuse': 'Abuse protection',
  'group.accounts': 'Account policies', 'group.email': 'Email and links', 'group.cloudbase': 'CloudBase tokens',
  'group.other': 'Other',
  'templates.new': 'New template', 'templates.name': 'Name', 'templates.channel': 'Channel',
  'templates.body': 'Body', 'templates.zh': 'Body in Simplified Chinese (zh-CN, optional)',
  'templates.subject': 'Subject', 'templates.html': 'HTML', 'templates.variables': 'Variables',
  'templates.code': 'Issues a code', 'templates.purpose': 'Purpose',
  'templates.named': 'named (requestSmsCode "template")', 'templates.preview': 'Preview', 'templates.sample': 'Sample values',
  'templates.sign': 'Signature (sign)', 'templates.locale': 'Language', 'templates.asSent': 'Exactly as the person will read it (the code is a sample):',
  'templates.confirmDelete': 'Delete the template {name}? Sends that name it will fail.',
  'templates.builtins': 'code, ttl and link are filled in by verikit; name falls back to the signature.',
  'log.to': 'Number or email', 'log.outcome': 'Outcome', 'log.any': 'any', 'log.since': 'From', 'log.until': 'To',
  'log.when': 'Time (UTC)', 'log.channel': 'Channel', 'log.purpose': 'Purpose', 'log.template': 'Template',
  'log.error': 'Error', 'log.newer': '← Newer', 'log.older': 'Older →', 'log.page': 'Page {n}',
  'tn.lead': 'A test number never receives anything, is charged to no limit, and always accepts its fixed code (QA, app-store review).',
  'tn.number': 'Number', 'tn.code': 'Code', 'tn.updated': 'Updated', 'tn.add': 'Add test number',
  'tn.change': 'Change code', 'tn.remove': 'Remove', 'tn.newCode': 'new code',
  'users.by': 'Find by', 'users.phone': 'Phone', 'users.email': 'Email', 'users.username': 'Username',
  'users.objectId': 'objectId', 'users.find': 'Find', 'users.none': 'No user matches.',
  'users.created': 'Created', 'users.updated': 'Updated', 'users.verified': 'verified', 'users.unverified': 'not verified',
  'users.hasPassword': 'Password set', 'users.isVerified': 'Verified user', 'users.custom': 'Own fields',
  'users.lockout': 'Login lockout', 'users.locked': 'locked out ({failures} failures; {seconds} s left)',
  'users.failures': '{failures} of {max} failed logins in this window', 'users.revoke': 'Revoke all sessions',
  'users.lift': 'Lift lockout', 'users.delete': 'Delete user',
  'users.revoked': 'Every session and token of this user has ended.', 'users.lifted': 'The lockout is lifted.',
  'users.confirmDelete': 'Delete {name} for good? Type the username to confirm.', 'users.deleted': 'The user is deleted.',
  'import.lead': 'Import users from a LeanCloud export of _User (JSONL, JSON {"results": [...]} or the sunset BSON dump). Run a dry run first: it reports what would change and changes nothing.',
  'import.file': 'Export file', 'import.dry': 'Dry run (change nothing)', 'import.run': 'Upload',
  'import.unavailable': 'Import is not available on this server (this verikit has no /admin/v1/import route yet).',
  'import.created': 'Created', 'import.updated': 'Updated', 'import.unchanged': 'Unchanged', 'import.failed': 'Failed',
  'import.line': 'Line', 'import.report': 'Report', 'import.dryNote': 'Dry run: nothing was changed.',
  'import.choose': 'Choose a file first.',
};

const ZH = {
  'app.title': 'verikit 控制台',
  'lang.switch': 'English',
  'signin.title': '登录',
  'signin.lead': '使用 `make run` 或 `make deploy` 输出的 App ID 和 Master Key。Master Key 只保存在当前浏览器标签页中，退出登录或关闭标签页后即被清除。',
  'signin.appId': 'App ID',
  'signin.key': 'Master Key',
  'signin.submit': '登录',
  'signin.wrong': 'App ID 或 Master Key 错误。',
  'signin.appkey': '这是 App Key。控制台需要 Master Key。',
  'signin.failed': '无法连接 verikit：{error}',
  'signin.expired': 'Master Key 已失效，请重新登录。',
  'signout': '退出登录',
  'nav.overview': '概览', 'nav.stats': '统计', 'nav.settings': '设置', 'nav.templates': '模板',
  'nav.log': '发送记录', 'nav.testnumbers': '测试号码', 'nav.users': '用户', 'nav.import': '导入',
  'common.loading': '加载中…', 'common.save': '保存', 'common.cancel': '取消', 'common.delete': '删除',
  'common.edit': '编辑', 'common.error': '错误：{error}', 'common.saved': '已保存。', 'common.none': '暂无数据。',
  'common.yes': '是', 'common.no': '否', 'common.default': '默认值：{value}', 'common.search': '查询',
  'common.deleted': '已删除。', 'common.confirm': '确认',
  'source.stats': '数据来自统计接口。',
  'source.log': '数据由发送记录统计（本服务器尚无统计接口）；验证数需要统计接口。',
  'overview.title': '今日（UTC）',
  'overview.sent': '发送', 'overview.verified': '验证', 'overview.conversion': '转化率',
  'overview.blocked': '被拦截的发送', 'overview.budget': '应用每日额度已用',
  'overview.budget.of': '{used} / {limit}', 'overview.budget.off': '未设每日额度（per_app_daily 为 0）',
  'overview.na': '无', 'overview.week': '最近 7 天', 'overview.latest': '最近发送',
  'stats.range': '时间范围', 'stats.days': '最近 {n} 天', 'stats.byDay': '按日', 'stats.byCountry': '按国家/地区',
  'stats.key': '键', 'stats.day': '日期', 'stats.country': '国家/地区',
  'stats.sent': '发送', 'stats.verified': '验证', 'stats.blocked': '拦截', 'stats.conversion': '转化率',
  'stats.empty': '该时间段内没有发送。',
  'settings.lead': '全部设置，与 PATCH /admin/v1/settings 保存的一致。保存后立即生效（其他服务器实例在配置缓存时间内生效，默认 10 秒）。',
  'settings.save': '保存更改', 'settings.nochange': '没有更改。', 'settings.invalid': '请修正标红的字段。',
  'settings.saved': '已保存 {n} 项设置。', 'settings.list.help': '用逗号分隔。',
  'group.codes': '验证码与短信', 'group.limits': '频率限制', 'group.abuse': '防滥用',
  'group.accounts': '账号策略', 'group.email': '邮件与链接', 'group.cloudbase': 'CloudBase 令牌',
  'group.other': '其他',
  'templates.new': '新建模板', 'templates.name': '名称', 'templates.channel': '渠道',
  'templates.body': '正文', 'templates.zh': '简体中文正文（zh-CN，可选）',
  'templates.subject': '主题', 'templates.html': 'HTML', 'templates.variables': '变量',
  'templates.code': '发送验证码', 'templates.purpose': '用途',
  'templates.named': '具名模板（requestSmsCode 的 template）', 'templates.preview': '预览', 'templates.sample': '示例值',
  'templates.sign': '签名（sign）', 'templates.locale': '语言', 'templates.asSent': '用户收到的内容（验证码为示例）：',
  'templates.confirmDelete': '删除模板 {name}？使用该模板的发送将失败。',
  'templates.builtins': 'code、ttl 和 link 由 verikit 填写；name 默认为签名。',
  'log.to': '号码或邮箱', 'log.outcome': '结果', 'log.any': '全部', 'log.since': '开始', 'log.until': '结束',
  'log.when': '时间（UTC）', 'log.channel': '渠道', 'log.purpose': '用途', 'log.template': '模板',
  'log.error': '错误', 'log.newer': '← 较新', 'log.older': '较早 →', 'log.page': '第 {n} 页',
  'tn.lead': '测试号码不会收到任何消息，不计入任何限制，并始终接受其固定验证码（用于测试和应用商店审核）。',
  'tn.number': '号码', 'tn.code': '验证码', 'tn.updated': '更新时间', 'tn.add': '添加测试号码',
  'tn.change': '修改验证码', 'tn.remove': '移除', 'tn.newCode': '新验证码',
  'users.by': '查找方式', 'users.phone': '手机号', 'users.email': '邮箱', 'users.username': '用户名',
  'users.objectId': 'objectId', 'users.find': '查找', 'users.none': '没有匹配的用户。',
  'users.created': '创建时间', 'users.updated': '更新时间', 'users.verified': '已验证', 'users.unverified': '未验证',
  'users.hasPassword': '已设密码', 'users.isVerified': '已验证用户', 'users.custom': '自定义字段',
  'users.lockout': '登录锁定', 'users.locked': '已锁定（{failures} 次失败；剩余 {seconds} 秒）',
  'users.failures': '本时间窗内登录失败 {failures} / {max} 次', 'users.revoke': '注销全部会话',
  'users.lift': '解除锁定', 'users.delete': '删除用户',
  'users.revoked': '该用户的全部会话和令牌已失效。', 'users.lifted': '锁定已解除。',
  'users.confirmDelete': '永久删除 {name}？请输入用户名确认。', 'users.deleted': '用户已删除。',
  'import.lead': '从 LeanCloud 导出的 _User 数据导入用户（JSONL、JSON {"results": [...]} 或停服时的 BSON 导出）。请先试运行：它只报告将发生的更改，不做任何修改。',
  'import.file': '导出文件', 'import.dry': '试运行（不做修改）', 'import.run': '上传',
  'import.unavailable': '本服务器不支持导入（此 verikit 尚无 /admin/v1/import 接口）。',
  'import.created': '新建', 'import.updated': '更新', 'import.unchanged': '未变', 'import.failed': '失败',
  'import.line': '行', 'import.report': '报告', 'import.dryNote': '试运行：未做任何修改。',
  'import.choose': '请先选择文件。',
};

export const DICTS = { en: EN, 'zh-CN': ZH };
const KEY = 'verikit.lang';
let current = null;

export function lang() {
  if (current) return current;
  const saved = localStorage.getItem(KEY);
  if (saved && DICTS[saved]) return (current = saved);
  const wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  current = wanted.some((l) => String(l).toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en';
  return current;
}

export function setLang(value) {
  current = DICTS[value] ? value : 'en';
  localStorage.setItem(KEY, current);
  document.documentElement.lang = current;
}

export function t(key, vars = {}) {
  const text = DICTS[lang()][key] ?? EN[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}
