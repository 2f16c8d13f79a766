// Texts of the supervisors' wallboard: Chinese first (zh-CN, the default), English second.
// t(key, vars) looks the key up in the current language, falls back to zh-CN, then to the key itself;
// "{name}" placeholders are filled from vars. The choice is kept in localStorage (cc.wallboard.lang).

const zh = {
  'app.title': '12348 公共法律服务热线 · 实时监控大屏',
  'app.short': '实时监控大屏',
  'lang.switch': 'EN',
  'lang.switch.title': 'Switch to English',

  'login.title': '督导登录',
  'login.subtitle': '12348 公共法律服务热线 · 实时监控大屏',
  'login.username': '用户名',
  'login.password': '密码',
  'login.submit': '登录',
  'login.busy': '正在登录…',
  'login.missing': '请输入用户名和密码',
  'login.expired': '会话已过期',
  'login.loggedOut': '已退出登录',
  'login.loading': '正在加载监控大屏…',
  'login.roleForbidden': '此账号（角色：{role}）无权使用监控大屏：仅限督导和管理员',
  'login.forbidden': '无权查看监控大屏：仅限督导和管理员',

  'top.logout': '退出登录',
  'top.user': '{name}（{role}）',
  'role.supervisor': '督导',
  'role.admin': '管理员',

  'ws.online': '实时连接正常',
  'ws.connecting': '实时连接中…',
  'ws.lost': '连接中断，正在重连',
  'ws.lostIn': '连接中断，{seconds} 秒后重连',
  'ws.back': '实时连接已恢复',
  'ws.forbidden': '无权查看',
  'ws.stale': '数据可能已过时',

  'alerts.title': '告警',
  'alerts.none': '无告警',
  'alert.answer-rate': '接通率 {value} 低于 {limit}',
  'alert.service-level': '服务水平 {value} 低于 {limit}',
  'alert.long-wait': '{count} 位来电等待超过 {limit}（最长 {longest}）',
  'alert.overdue': '超期工单 {value} 件（上限 {limit}）',

  'tile.offered': '呼入量',
  'tile.answered': '接通',
  'tile.answered.sub': '{count} 个在 {seconds} 秒内接通',
  'tile.abandoned': '放弃',
  'tile.abandoned.short': '其中短时放弃 {count}',
  'tile.answer-rate': '接通率',
  'tile.answer-rate.sub': '目标 ≥ {limit}',
  'tile.service-level': '服务水平',
  'tile.service-level.sub': '{seconds} 秒内接通',
  'tile.average-wait': '平均等待',
  'tile.longest-wait': '最长等待',
  'tile.average-talk': '平均通话',
  'tile.wait.sub': '已接通来电',
  'tile.longest.sub': '今日全部来电',
  'tile.talk.sub': '已接通来电',
  'tile.transfers': '专家转接',
  'tile.transfers.sub': '成功 {accepted} / 转接 {transfers}',
  'tile.satisfaction': '满意度',
  'tile.satisfaction.sub': '评价 {rated} 次',
  'tile.callbacks': '待回访',
  'tile.callbacks.sub': '今日申请回拨 {count}',
  'tile.orders': '超期 / 临期工单',
  'tile.orders.sub': '临期 {near}',
  'tile.waiting': '排队中',
  'tile.waiting.sub': '最长 {longest}',
  'tile.waiting.none': '当前无人排队',
  'tile.agents': '在线坐席',
  'tile.agents.sub': '就绪 {ready} · 通话 {onCall}',

  'agents.title': '坐席状态',
  'agents.count': '共 {total} 人 · 在线 {logged}',
  'agents.empty': '暂无坐席',
  'agents.col.name': '坐席 / 队列',
  'agents.col.status': '状态 / 时长',
  'agents.col.call': '当前来电 / 通话时长',
  'agents.col.queues': '队列',
  'agents.col.actions': '操作',
  'agents.wrapupLeft': '剩余 {seconds} 秒',
  'agents.wrapupDone': '即将结束',
  'agents.callRinging': '振铃中',
  'agents.interface.webrtc': 'WebRTC',
  'agents.interface.sip': 'SIP',
  'agents.since': '自 {time} 起',

  'status.logged-out': '未签入',
  'status.ready': '就绪',
  'status.paused': '小休',
  'status.wrap-up': '话后整理',
  'status.ringing': '振铃',
  'status.on-call': '通话中',

  'action.listen': '监听',
  'action.whisper': '耳语',
  'action.barge': '强插',
  'action.pause': '暂停',
  'action.logoff': '签出',
  'action.listen.title': '呼叫我的电话，接听后静默监听该坐席的通话',
  'action.whisper.title': '呼叫我的电话，接听后只有坐席能听到我',
  'action.barge.title': '呼叫我的电话，接听后加入三方通话',
  'action.pause.title': '让该坐席暂停接听（督导暂停）',
  'action.logoff.title': '让该坐席签出所有队列',
  'spy.phone': '我的电话',
  'spy.phone.placeholder': '分机号或 SIP 账号',
  'spy.phone.title': '监听、耳语、强插时系统先呼叫这部电话',

  'msg.spyNeedsPhone': '请先在“我的电话”中填写您的分机号或 SIP 账号',
  'msg.spyStarted': '正在呼叫您的电话 {phone}：接听后{mode}坐席 {agent}',
  'mode.listen': '监听',
  'mode.whisper': '耳语提示',
  'mode.barge': '强插',
  'msg.paused': '已暂停坐席 {agent}',
  'msg.loggedOff': '已签出坐席 {agent}',
  'msg.networkError': '无法连接服务器，请检查网络',
  'msg.serverError': '服务器错误（{status}）',
  'msg.statisticsFailed': '无法获取今日统计：{error}',

  'waiting.title': '排队来电',
  'waiting.empty': '当前无人排队',
  'waiting.col.queue': '队列',
  'waiting.col.number': '来电号码',
  'waiting.col.prefecture': '地州市',
  'waiting.col.language': '语言',
  'waiting.col.waited': '已等待',
  'waiting.col.position': '位置',

  'transfers.title': '专家转接进行中',
  'transfers.empty': '暂无进行中的转接',
  'transfer.ringing': '振铃中',
  'transfer.talking': '通话中',
  'transfer.expert': '专家',
  'transfer.since': '{time} 起 · {duration}',

  'queues.title': '各队列今日数据',
  'queues.empty': '今日暂无来电',
  'queues.col.queue': '队列',
  'queues.col.offered': '呼入',
  'queues.col.answered': '接通',
  'queues.col.abandoned': '放弃',
  'queues.col.answerRate': '接通率',
  'queues.col.serviceLevel': '服务水平',
  'queues.col.longestWait': '最长等待',
  'queues.col.offered.title': '今日呼入量',
  'queues.col.answered.title': '今日接通',
  'queues.col.abandoned.title': '今日放弃（含短时放弃）',
  'queues.col.answerRate.title': '接通率',
  'queues.col.serviceLevel.title': '服务水平：目标时间内接通的比例',
  'queues.col.longestWait.title': '今日最长等待',
  'waiting.col.prefecture.title': '来电所属地州市',
  'waiting.col.language.title': '来电者选择的语言',
  'waiting.col.position.title': '在队列中的位置',

  'chart.volume': '每小时呼入量',
  'chart.answerRate': '每小时接通率',
  'chart.offered': '呼入',
  'chart.answered': '接通',
  'chart.answerRateSeries': '接通率',
  'chart.target': '目标 {value}',
  'chart.noData': '今日暂无数据',
  'chart.missing': '图表组件 (ECharts) 未加载，请联系管理员构建 vendor/echarts.min.js',
  'chart.hour': '{hour} 时',

  'figures.period': '统计区间 {start} – {end}',
  'figures.updated': '更新于 {time}',

  'language.zh': '普通话',
  'language.ug': '维吾尔语',
  'language.kk': '哈萨克语',
  'language.en': '英语',

  'prefecture.province': '全疆',
};

const en = {
  'app.title': '12348 Legal Service Hotline · Live Wallboard',
  'app.short': 'Live wallboard',
  'lang.switch': '中文',
  'lang.switch.title': '切换到中文',

  'login.title': 'Supervisor sign-in',
  'login.subtitle': '12348 Legal Service Hotline · Live wallboard',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.busy': 'Signing in…',
  'login.missing': 'Enter your username and password',
  'login.expired': 'Session expired',
  'login.loggedOut': 'Signed out',
  'login.loading': 'Loading the wallboard…',
  'login.roleForbidden': 'This account (role: {role}) may not use the wallboard: supervisors and administrators only',
  'login.forbidden': 'Not allowed to view the wallboard: supervisors and administrators only',

  'top.logout': 'Sign out',
  'top.user': '{name} ({role})',
  'role.supervisor': 'supervisor',
  'role.admin': 'administrator',

  'ws.online': 'Live',
  'ws.connecting': 'Connecting…',
  'ws.lost': 'Connection lost, reconnecting',
  'ws.lostIn': 'Connection lost, retrying in {seconds} s',
  'ws.back': 'Live connection restored',
  'ws.forbidden': 'Not allowed to view',
  'ws.stale': 'Figures may be out of date',

  'alerts.title': 'Alerts',
  'alerts.none': 'No alerts',
  'alert.answer-rate': 'Answer rate {value} below {limit}',
  'alert.service-level': 'Service level {value} below {limit}',
  'alert.long-wait': '{count} waiting over {limit} (longest {longest})',
  'alert.overdue': '{value} overdue order(s) (limit {limit})',

  'tile.offered': 'Offered',
  'tile.answered': 'Answered',
  'tile.answered.sub': '{count} within {seconds} s',
  'tile.abandoned': 'Abandoned',
  'tile.abandoned.short': 'incl. {count} short',
  'tile.answer-rate': 'Answer rate',
  'tile.answer-rate.sub': 'target ≥ {limit}',
  'tile.service-level': 'Service level',
  'tile.service-level.sub': 'answered within {seconds} s',
  'tile.average-wait': 'Average wait',
  'tile.longest-wait': 'Longest wait',
  'tile.average-talk': 'Average talk',
  'tile.wait.sub': 'answered calls',
  'tile.longest.sub': 'all calls today',
  'tile.talk.sub': 'answered calls',
  'tile.transfers': 'Expert transfers',
  'tile.transfers.sub': '{accepted} accepted / {transfers}',
  'tile.satisfaction': 'Satisfaction',
  'tile.satisfaction.sub': '{rated} rating(s)',
  'tile.callbacks': 'Callbacks pending',
  'tile.callbacks.sub': '{count} requested today',
  'tile.orders': 'Overdue / near due',
  'tile.orders.sub': '{near} near due',
  'tile.waiting': 'Waiting',
  'tile.waiting.sub': 'longest {longest}',
  'tile.waiting.none': 'nobody waiting',
  'tile.agents': 'Agents logged in',
  'tile.agents.sub': '{ready} ready · {onCall} on call',

  'agents.title': 'Agents',
  'agents.count': '{total} in all · {logged} logged in',
  'agents.empty': 'No agents',
  'agents.col.name': 'Agent / queues',
  'agents.col.status': 'Status / time',
  'agents.col.call': 'Caller / talk time',
  'agents.col.queues': 'Queues',
  'agents.col.actions': 'Actions',
  'agents.wrapupLeft': '{seconds} s left',
  'agents.wrapupDone': 'ending',
  'agents.callRinging': 'ringing',
  'agents.interface.webrtc': 'WebRTC',
  'agents.interface.sip': 'SIP',
  'agents.since': 'since {time}',

  'status.logged-out': 'Logged out',
  'status.ready': 'Ready',
  'status.paused': 'Paused',
  'status.wrap-up': 'Wrap-up',
  'status.ringing': 'Ringing',
  'status.on-call': 'On call',

  'action.listen': 'Listen',
  'action.whisper': 'Whisper',
  'action.barge': 'Barge',
  'action.pause': 'Pause',
  'action.logoff': 'Log off',
  'action.listen.title': 'Ring my phone, then listen silently to this agent\'s call',
  'action.whisper.title': 'Ring my phone, then speak to the agent only',
  'action.barge.title': 'Ring my phone, then join the call',
  'action.pause.title': 'Pause this agent (supervisor pause)',
  'action.logoff.title': 'Log this agent off all queues',
  'spy.phone': 'My phone',
  'spy.phone.placeholder': 'extension or SIP user',
  'spy.phone.title': 'Listen, whisper and barge ring this phone first',

  'msg.spyNeedsPhone': 'Enter your extension or SIP user in "My phone" first',
  'msg.spyStarted': 'Ringing your phone {phone}: answer it to {mode} {agent}',
  'mode.listen': 'listen to',
  'mode.whisper': 'whisper to',
  'mode.barge': 'barge into the call of',
  'msg.paused': 'Agent {agent} paused',
  'msg.loggedOff': 'Agent {agent} logged off',
  'msg.networkError': 'Cannot reach the server: check the network',
  'msg.serverError': 'Server error ({status})',
  'msg.statisticsFailed': 'Cannot load today\'s figures: {error}',

  'waiting.title': 'Callers waiting',
  'waiting.empty': 'Nobody waiting',
  'waiting.col.queue': 'Queue',
  'waiting.col.number': 'Number',
  'waiting.col.prefecture': 'Pref.',
  'waiting.col.language': 'Lang.',
  'waiting.col.waited': 'Waited',
  'waiting.col.position': '#',

  'transfers.title': 'Expert transfers in progress',
  'transfers.empty': 'No transfer in progress',
  'transfer.ringing': 'ringing',
  'transfer.talking': 'talking',
  'transfer.expert': 'the expert',
  'transfer.since': 'since {time} · {duration}',

  'queues.title': 'Queues today',
  'queues.empty': 'No calls today yet',
  'queues.col.queue': 'Queue',
  'queues.col.offered': 'Calls',
  'queues.col.answered': 'Ans.',
  'queues.col.abandoned': 'Aban.',
  'queues.col.answerRate': 'Rate',
  'queues.col.serviceLevel': 'SL',
  'queues.col.longestWait': 'Max wait',
  'queues.col.offered.title': 'Calls offered today',
  'queues.col.answered.title': 'Calls answered today',
  'queues.col.abandoned.title': 'Calls abandoned today (short abandons included)',
  'queues.col.answerRate.title': 'Answer rate',
  'queues.col.serviceLevel.title': 'Service level: share answered within the target',
  'queues.col.longestWait.title': 'Longest wait today',
  'waiting.col.prefecture.title': 'The caller\'s prefecture',
  'waiting.col.language.title': 'The language the caller chose',
  'waiting.col.position.title': 'Position in the queue',

  'chart.volume': 'Calls per hour',
  'chart.answerRate': 'Answer rate per hour',
  'chart.offered': 'Offered',
  'chart.answered': 'Answered',
  'chart.answerRateSeries': 'Answer rate',
  'chart.target': 'target {value}',
  'chart.noData': 'No calls today yet',
  'chart.missing': 'The chart library (ECharts) is not loaded: ask an administrator to build vendor/echarts.min.js',
  'chart.hour': '{hour}:00',

  'figures.period': 'Period {start} – {end}',
  'figures.updated': 'updated {time}',

  'language.zh': 'Mandarin',
  'language.ug': 'Uyghur',
  'language.kk': 'Kazakh',
  'language.en': 'English',

  'prefecture.province': 'Xinjiang (all)',
};

export const DICTIONARIES = { 'zh-CN': zh, en };
export const DEFAULT_LANG = 'zh-CN';
export const LANGS = Object.keys(DICTIONARIES);
const STORAGE_KEY = 'cc.wallboard.lang';

function storedLang() {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value && value in DICTIONARIES ? value : DEFAULT_LANG;
  } catch {
    return DEFAULT_LANG;
  }
}

let current = storedLang();

export function getLang() {
  return current;
}

export function setLang(lang) {
  current = lang in DICTIONARIES ? lang : DEFAULT_LANG;
  try {
    localStorage.setItem(STORAGE_KEY, current);
  } catch {
    // private mode: the choice lasts for this page only
  }
  return current;
}

/** True when the key has a text in the current language or in zh-CN. */
export function has(key) {
  return key in DICTIONARIES[current] || key in zh;
}

export function t(key, vars = {}) {
  const text = DICTIONARIES[current][key] ?? zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** The translation of `${prefix}${value}` when there is one, else the value itself (or the fallback). */
export function tv(prefix, value, fallback = '—') {
  if (value === null || value === undefined || value === '') return fallback;
  const key = `${prefix}${value}`;
  return has(key) ? t(key) : String(value);
}
