/* What the pages say for an error: every code the server sends ({code, message, details}; the
   CallCenterError classes of callcenter and agi and the web handler's own codes) and the page's own
   (network-error), in Chinese and in English. One code a line: tests/callcenter/test_error_codes.py
   reads this table and fails when a server code has no message here. */

export const ERROR_MESSAGES = {
  'action-forbidden': { 'zh-CN': '当前账号不能对该工单执行此操作', en: 'This account may not do this to the work order' },
  'agent-state-conflict': { 'zh-CN': '坐席当前的状态不允许此操作', en: 'The agent is not in a state that allows this' },
  'agi-command-failed': { 'zh-CN': '电话系统指令执行失败，请稍后重试', en: 'A telephony command failed: try again shortly' },
  'ami-action-failed': { 'zh-CN': '电话系统未能完成该操作', en: 'The telephony system could not do this' },
  'ami-unreachable': { 'zh-CN': '无法连接电话系统，请稍后重试', en: 'The telephony system cannot be reached: try again shortly' },
  'asterisk-install-failed': { 'zh-CN': '电话系统安装失败', en: 'The telephony system could not be installed' },
  'asterisk-not-running': { 'zh-CN': '电话系统未运行', en: 'The telephony system is not running' },
  'asterisk-start-failed': { 'zh-CN': '电话系统启动失败', en: 'The telephony system could not start' },
  'attachment-rejected': { 'zh-CN': '附件未被接受（类型或大小不符合要求）', en: 'The attachment was refused (its type or size)' },
  'calendar-invalid': { 'zh-CN': '工作日历配置有误', en: 'The working calendar is not valid' },
  'calendar-not-covered': { 'zh-CN': '工作日历未覆盖该日期', en: 'The working calendar does not cover this date' },
  'call-center-error': { 'zh-CN': '系统出错，请稍后重试', en: 'Something went wrong: try again shortly' },
  'expert-exists': { 'zh-CN': '该专家已存在', en: 'This expert exists already' },
  'expert-invalid': { 'zh-CN': '专家信息有误', en: 'The details of the expert are not valid' },
  'expert-unavailable': { 'zh-CN': '该专家当前无法接受转接，请选择其他专家', en: 'This expert cannot take a transfer now: choose another' },
  'extension-limit': { 'zh-CN': '该工单已达到延期次数上限', en: 'The work order cannot be extended again' },
  'hotline-config-invalid': { 'zh-CN': '热线配置有误', en: 'The hotline configuration is not valid' },
  'illegal-transition': { 'zh-CN': '工单当前状态下不能进行此操作', en: 'The work order cannot do this in its present state' },
  'invalid-action': { 'zh-CN': '无效的工单操作', en: 'Not a valid work-order action' },
  'invalid-period': { 'zh-CN': '统计时段无效', en: 'Not a valid period' },
  'invalid-request': { 'zh-CN': '提交的内容有误，请检查后重试', en: 'Some of what was sent is not valid: check it and try again' },
  'invalid-spool-record': { 'zh-CN': '离线记录无效', en: 'A spooled record is not valid' },
  'invalid-work-order': { 'zh-CN': '工单内容有误，请检查后重试', en: 'The work order is not valid: check it and try again' },
  'login-failed': { 'zh-CN': '用户名或密码错误', en: 'Wrong username or password' },
  'login-required': { 'zh-CN': '请先登录', en: 'Please sign in' },
  'network-error': { 'zh-CN': '网络错误：无法连接服务器', en: 'Network error: the server cannot be reached' },
  'not-found': { 'zh-CN': '未找到相关记录', en: 'Not found' },
  'not-your-agent': { 'zh-CN': '该账号不能代表此坐席操作', en: 'This account may not act for this agent' },
  'password-invalid': { 'zh-CN': '密码不符合要求', en: 'The password does not meet the rules' },
  'prompts-invalid': { 'zh-CN': '语音提示配置有误', en: 'The voice prompts are not valid' },
  'region-config-invalid': { 'zh-CN': '地区配置有误', en: 'The region configuration is not valid' },
  'role-forbidden': { 'zh-CN': '当前账号无权进行此操作', en: 'This account may not do this' },
  'roster-invalid': { 'zh-CN': '值班表有误', en: 'The roster is not valid' },
  'service-unavailable': { 'zh-CN': '服务暂时不可用，请稍后重试', en: 'The service is unavailable: try again shortly' },
  'stale-version': { 'zh-CN': '工单已被他人修改，请刷新后重试', en: 'Someone else changed this order: reload and try again' },
  'supervision-invalid': { 'zh-CN': '无法发起监听（请检查电话号码和通话）', en: 'Cannot supervise this call (check the phone and the call)' },
  'too-many-attempts': { 'zh-CN': '尝试次数过多，请稍后再试', en: 'Too many attempts: try again later' },
  'transfer-invalid': { 'zh-CN': '该来电当前无法转接', en: 'This call cannot be transferred now' },
  'unit-exists': { 'zh-CN': '该单位已存在', en: 'This unit exists already' },
  'unit-in-use': { 'zh-CN': '该单位仍在使用中', en: 'This unit is still in use' },
  'unit-invalid': { 'zh-CN': '单位信息有误', en: 'The details of the unit are not valid' },
  'unknown-category': { 'zh-CN': '未知的事项分类', en: 'Unknown category' },
  'unknown-prefecture': { 'zh-CN': '未知的地州市', en: 'Unknown prefecture' },
  'unknown-unit': { 'zh-CN': '未知的单位', en: 'Unknown unit' },
  'user-exists': { 'zh-CN': '该用户名已存在', en: 'This username exists already' },
  'user-invalid': { 'zh-CN': '用户信息有误', en: 'The details of the user are not valid' },
};

const GENERIC = { 'zh-CN': '操作失败，请稍后重试', en: 'It did not work: try again shortly' };

/**
 * The text for an error in `lang`: the table's message for `err.code`, else the message the error
 * carries (the server's own, or a JavaScript error's), else a generic text.
 */
export function errorText(err, lang = 'zh-CN') {
  const entry = err && typeof err.code === 'string' && Object.hasOwn(ERROR_MESSAGES, err.code) ? ERROR_MESSAGES[err.code] : null;
  if (entry) return entry[lang] || entry['zh-CN'];
  if (err && typeof err.message === 'string' && err.message) return err.message;
  if (typeof err === 'string' && err) return err;
  return GENERIC[lang] || GENERIC['zh-CN'];
}
