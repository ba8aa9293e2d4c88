"""The glossary's closed lists with their Chinese labels, shared by every service and the pages."""

from __future__ import annotations

import datetime as dt

from libs.common.clock import OFFICE_TZ

# Art. 4, in the seed's order: identifier -> the label offices use.
SOURCES: dict[str, str] = {
    "central_decision": "党中央、国务院重大决策部署",
    "district_meeting": "区委、区政府重要会议、重要文件安排事项",
    "work_report": "《政府工作报告》重点工作任务",
    "leader_instruction": "主要领导批示、调研中需办理事项",
    "leader_assignment": "领导交办工作事项",
    "system_710": "“710”工作制度落实",
    "bulletin_rectification": "督查通报要求整改事项",
    "other": "其他重要事项",
}
CATEGORIES: dict[str, str] = {"general": "一般事项", "complex": "复杂事项"}
# The item's status (Art. 6.2-6.8), one vocabulary everywhere: tracking moves it along its one table
# (services/tracking/domain.py TRANSITIONS), the ledger keeps a copy fed by item.status_changed.
STATUSES: dict[str, str] = {
    "awaiting_notice": "待交办", "notified": "已交办", "in_progress": "办理中", "replied": "已回复",
    "completion_filled": "待销号", "closed": "已销号", "archived": "已归档",
}
# The ledger's own words before there was one vocabulary, as ledger events (item.status) and history
# rows written before it still carry them: what each reads as now (closed and archived kept their names).
FORMER_STATUSES: dict[str, str] = {"registered": "awaiting_notice", "assigned": "notified"}
UNIT_KINDS: dict[str, str] = {"department": "部门", "township": "乡镇", "office": "办公室"}
PERSON_ROLES: dict[str, str] = {"leader": "领导", "staff": "工作人员", "supervisor": "督查人员"}
LIGHTS: dict[str, str] = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}
UNIT_ROLES: dict[str, str] = {"lead": "主办", "co": "协办"}
# Field names as the history shows them to people.
FIELD_LABELS: dict[str, str] = {
    "registered": "立项",
    "title": "事项名称",
    "content": "事项内容",
    "source": "事项来源",
    "category": "事项类别",
    "key_tracking": "重点跟踪",
    "lead_unit_id": "牵头单位",
    "co_units": "协办单位",
    "responsible_leader": "责任领导",
    "responsible_person": "责任人",
    "supervisor": "督查责任人",
    "due_date": "完成时限",
    "supervision_status": "督查情况",
    "remarks": "备注",
    "assessment_year": "考核年度",
    "assigned_on": "交办时间",
    "status": "状态",
    "result": "办理结果",
    "closure_signature": "销号签字",
    "extension_reason": "转期理由",
    "extension_signature": "转期签字",
    "follow_up": "续办事项",
}
# How tracking's events read in the ledger's history.
EVENT_LABELS: dict[str, str] = {
    "item.assigned": "督办通知发出", "extension.approved": "转期经责任领导签字同意", "item.replied": "承办单位书面回复",
    "item.closed": "责任领导签字销号", "item.status_changed": "督办跟踪状态变化",
}
URGE_METHODS: dict[str, str] = {"phone": "电话督办", "written": "书面督办"}
# Reminders in the inbox (消息): why a message arose, and why it reached its recipient.
MESSAGE_CAUSES: dict[str, str] = {"item_urged": "催办", "item_overdue": "逾期提醒", "escalation": "重大问题报告",
                                  "rectification_overdue": "整改逾期"}
MESSAGE_RECIPIENTS: dict[str, str] = {"responsible_person": "责任人", "unit_staff": "承办单位工作人员",
                                      "unit_head": "单位负责人", "responsible_leader": "责任领导",
                                      "office_head": "督查室主任"}
PERIODS: dict[str, str] = {"weekly": "周汇报", "monthly": "月总结", "quarterly": "季检查"}
# Import jobs (导入台账): how a file is taken, where the job stands, how it ended.
IMPORT_MODES: dict[str, str] = {
    "validate": "仅检查，不写入", "all_or_nothing": "有错误行则全部不导入", "good_rows": "只导入正确的行",
}
IMPORT_STATES: dict[str, str] = {"queued": "排队中", "running": "进行中", "finished": "已完成", "failed": "失败"}
IMPORT_PHASES: dict[str, str] = {"reading": "读取文件", "checking": "逐行检查", "writing": "写入台账"}
IMPORT_OUTCOMES: dict[str, str] = {"validated": "检查完毕，未写入", "imported": "已导入", "rejected": "有错误行，全部未写入"}
REPORT_KINDS: dict[str, str] = {"special": "专项", "comprehensive": "综合"}
EXTENSION_STATUSES: dict[str, str] = {"pending": "待审批", "approved": "已同意", "rejected": "未同意"}
EXPECTED_STATUSES: dict[str, str] = {"expected": "待报送", "filed": "已报送", "missed": "未按时报送",
                                     "cancelled": "不再报送（事项已办结）"}


def signature(name: str, when: dt.datetime) -> str:
    """How a signature reads in the ledger's columns (转期签字, 销号签字): the signer and the office day."""
    return f"{name} {when.astimezone(OFFICE_TZ):%Y-%m-%d}"
# Inspection (Art. 6.4, 7.3): what a finding is, how grave, and where its rectification stands. The
# assessment counts falsification and perfunctory work, so the categories are a closed list.
FINDING_CATEGORIES: dict[str, str] = {
    "falsification": "弄虚作假", "perfunctory": "敷衍应付", "slow_progress": "推进迟缓", "ledger_missing": "台账缺失",
    "not_rectified": "整改不到位", "discipline": "作风纪律", "other": "其他",
}
FINDING_SEVERITIES: dict[str, str] = {"general": "一般", "major": "重大"}
PLAN_STATUSES: dict[str, str] = {"draft": "草拟", "approved": "已批准", "under_way": "实施中", "done": "已完成"}
RECTIFICATION_MODES: dict[str, str] = {"on_spot": "立督立纠（当场整改）", "ordered": "限时整改"}
RECTIFICATION_STATUSES: dict[str, str] = {
    "ordered": "限时整改中", "reported": "已报整改，待回头看", "rectified": "已整改", "overdue": "逾期未整改",
}
CHECK_VERDICTS: dict[str, str] = {"verified": "属实", "discrepancy": "与报告不符"}
# Bulletins (通报, Art. 7.1) and the year-end 清零 report: kinds, the workflow's statuses and acts, the
# suggested commendations and criticisms (services/notification keeps the rules; these are the words).
BULLETIN_KINDS: dict[str, str] = {"quarterly": "季度通报", "semiannual": "半年通报", "monthly": "月度通报",
                                  "special": "专项通报", "clearance": "清零报告"}
BULLETIN_STATUSES: dict[str, str] = {"draft": "草稿", "edited": "已修改", "submitted": "待主要领导审批",
                                     "returned": "已退回修改", "approved": "已批准待印发", "published": "已印发"}
BULLETIN_ACTS: dict[str, str] = {"drafted": "系统起草", "edited": "督查室修改", "submitted": "报主要领导审批",
                                 "returned": "退回修改", "approved": "主要领导批准", "published": "印发",
                                 "filed": "考核办备案"}
BULLETIN_STATUS_PUBLISHED = "published"
# The list filter for every bulletin not yet published (not a status a bulletin has).
BULLETIN_IN_WORK = "in_work"
MENTION_KINDS: dict[str, str] = {"commendation": "通报表扬", "criticism": "通报批评"}
MENTION_STATES: dict[str, str] = {"suggested": "系统建议", "kept": "保留", "edited": "已修改", "struck": "已删去",
                                  "added": "督查室增加"}
MENTION_ACTIONS: dict[str, str] = {"keep": "保留", "edit": "修改", "strike": "删去", "add": "增加"}
BULLETIN_FORMATS: dict[str, str] = {"docx": "DOCX", "pdf": "PDF", "chart": "图表（PNG）"}
# The assessment (考核, Art. 7.2): what a score entry can be for (services/evaluation scores them; the
# points are the district's, in its rule set), whom it scores, and the year's and an adjustment's states.
SCORE_RULES: dict[str, str] = {
    "closed_on_time": "按时办结", "closed_late": "超期办结", "open_late": "考核时未办结且超期",
    "extension_approved": "批准转期", "extension_rejected": "转期申请未获批准", "report_missed": "未按时报送进展",
    "notice_unsigned": "交办通知未按时签收", "rectification_failed": "回头看未通过", "relapse": "边改边犯",
    "ledger_not_kept": "工作台账缺失", "bulletin_problem": "通报点名问题", "commendation": "通报表扬",
    "criticism": "通报批评",
}
SCORE_SUBJECT_KINDS: dict[str, str] = {"unit": "责任单位", "person": "责任人", "leader": "责任领导"}
ASSESSMENT_YEAR_STATUSES: dict[str, str] = {"open": "考核中", "frozen": "已确认（冻结）"}
ADJUSTMENT_STATUSES: dict[str, str] = {"pending": "待决定", "accepted": "已计入", "rejected": "不予计入"}
RULE_SET_STATUSES: dict[str, str] = {"accepted": "已采用", "proposed": "待采用", "superseded": "已被替代"}
SCORE_ENTRY_STATES: dict[str, str] = {"counted": "已计入", "pending": "待决定（年度已冻结）", "rejected": "不予计入"}
# What caused a score entry, as the 考核得分 pages name it: the event (by its source and type) and the service.
SCORE_CAUSES: dict[str, str] = {
    "item.registered": "立项登记", "item.updated": "台账修改", "item.assigned": "督办通知发出",
    "extension.approved": "转期获批", "extension.rejected": "转期未获批准", "item.closed": "责任领导签字销号",
    "item.urged": "催办", "rectification.verified": "回头看复查", "finding.recorded": "督查发现问题",
    "bulletin.published": "通报印发", "year.assessed": "考核办确认年度（考核截止）", "adjustment.decided": "考核办决定调整事项",
}
EVENT_SOURCES: dict[str, str] = {"duban/ledger": "督查台账", "duban/tracking": "督办跟踪", "duban/inspection": "实地督查",
                                 "duban/notification": "督查通报", "duban/evaluation": "考核评分"}
