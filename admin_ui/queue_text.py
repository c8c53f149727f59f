"""The inbound queue pages' texts in English and Vietnamese (merged into ``admin_ui.i18n.MESSAGES``).

``qf_<field>`` names each setting (the labels and the refusals), ``qerr_<code>`` words each refusal of
``campaigns.queues.QueueError`` (English from ``campaigns.queues.ENGLISH``), ``queue_problem`` puts them
together in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable

from campaigns.queues import ENGLISH, QueueError

_VI_ERRORS: dict[str, str] = {
    "name": "hàng đợi cần một tên dài 1-200 ký tự, không xuống dòng",
    "name_taken": "đã có hàng đợi tên '{value}'",
    "did_format": "'{value}' không phải số điện thoại có mã quốc gia (E.164, ví dụ +842873001234)",
    "did_twice": "{value} được nhập hai lần",
    "did_taken": "{value} đã chuyển vào hàng đợi '{owner}'; mỗi số chỉ chuyển vào một hàng đợi, nên hàng đợi "
                 "'{queue}' không thể dùng số này",
    "zone": "múi giờ '{value}' không tồn tại; dùng tên IANA như Asia/Ho_Chi_Minh",
    "hours": "'{value}' không phải danh sách giờ; viết HH:MM-HH:MM, cách nhau bằng dấu phẩy (ví dụ 08:00-12:00, "
             "13:30-17:30), hoặc để trống nếu nghỉ",
    "holidays": "lịch ngày lễ '{value}' không tồn tại; có: {known}",
    "date": "'{value}' không phải ngày (YYYY-MM-DD)",
    "choice": "'{value}' không thuộc {choices}",
    "number": "'{value}' không phải số nguyên",
    "range": "{value} nằm ngoài khoảng cho phép; nhập {low}-{high}",
    "sound": "'{value}' không phải tên âm thanh Playback dùng được (không khoảng trắng, dấu phẩy, dấu ngoặc kép, "
             "'|' hay chữ có dấu); dùng tên trong thư mục âm thanh của Asterisk, không có phần mở rộng, ví dụ "
             "please-try-call-later, nối bằng &",
    "sound_missing": "không tìm thấy âm thanh '{value}' trên {server}",
    "moh_missing": "không tìm thấy lớp nhạc chờ '{value}' trên {server} (musiconhold.conf); Asterisk sẽ "
                   "phát lớp 'default' thay thế",
    "mailbox": "'{value}' không phải hộp thư thoại VoiceMail dùng được: hộp hoặc hộp@context (chữ, số, _ và -)",
    "mailbox_needed": "cần một hộp thư thoại, vì người gọi có thể được chuyển vào hộp thư thoại",
    "moh": "'{value}' không phải lớp nhạc chờ (chữ, số, _ và -)",
    "skill_steps": "'{value}': viết các bước GIÂY:CẤP cách nhau bằng dấu phẩy, bước đầu ở 0 giây, thời gian tăng "
                   "dần và cấp 1-10 giảm dần (ví dụ 0:8, 30:5, 60:1)",
    "overflow_target_needed": "hãy chọn hàng đợi để chuyển tràn",
    "overflow_unknown": "không có hàng đợi {value}",
    "overflow_cycle": "chuyển tràn sang '{target}' tạo thành vòng lặp: {cycle}",
    "overflow_in_use": "không thể xóa hàng đợi '{value}' khi các hàng đợi khác còn chuyển tràn sang nó: {users}",
    "callback_campaign_needed": "yêu cầu gọi lại cần chiến dịch thực hiện các cuộc gọi lại",
    "callback_campaign_unknown": "không có chiến dịch {value}",
    "vip_number": "'{value}' không phải số điện thoại có mã quốc gia (E.164)",
    "vip_field": "'{value}' không phải tên trường của khách hàng (chữ, số và _); nhập cả trường và giá trị",
    "disposition_line": "dòng {line}: viết 'mã | Nhãn' (mã: chữ, số, _ và -)",
    "disposition_twice": "mã '{value}' được nhập hai lần",
    "disposition_label": "nhãn của '{value}' phải dài 1-100 ký tự trên một dòng",
    "disposition_none": "nhập ít nhất một kết quả",
    "announce_needed": "thông báo vị trí hoặc thời gian chờ cần một chu kỳ (mỗi 15-600 giây)",
    "limit_needed": "hành động khi vượt giới hạn cần một giới hạn (số người chờ tối đa hoặc thời gian chờ tối đa)",
    "asterisk": "Asterisk không nhận được giá trị này ({detail})",
    "agent_unknown": "người dùng {value} không phải nhân viên",
    "agent_other_site": "nhân viên '{value}' làm việc ở chi nhánh '{agent_site}', không phải '{queue_site}' của hàng "
                        "đợi này; hãy chọn nhân viên của '{queue_site}' (quản trị viên có thể chuyển nhân viên ở "
                        "trang Chi nhánh)",
    "level": "nhân viên {value}: cấp {level} nằm ngoài khoảng; nhập 1-10",
}

_FIELDS: dict[str, tuple[str, str]] = {
    "name": ("Name", "Tên"),
    "dids": ("Numbers routed here (DIDs)", "Các số chuyển vào đây (DID)"),
    "timezone": ("Time zone of the hours", "Múi giờ của giờ làm việc"),
    "hours": ("Business hours", "Giờ làm việc"),
    "holiday_calendar": ("Closed on the holidays of", "Nghỉ vào ngày lễ của"),
    "closed_days": ("Other closed days (YYYY-MM-DD, by commas)", "Các ngày nghỉ khác (YYYY-MM-DD, cách nhau bằng dấu phẩy)"),
    "closed_action": ("When closed", "Khi ngoài giờ"),
    "closed_sound": ("Closed message (sound)", "Lời nhắn ngoài giờ (âm thanh)"),
    "strategy": ("Routing strategy", "Cách phân cuộc gọi"),
    "skill_steps": ("Skill levels by wait (SECONDS:LEVEL)", "Cấp kỹ năng theo thời gian chờ (GIÂY:CẤP)"),
    "priority": ("Queue priority (0-100)", "Độ ưu tiên của hàng đợi (0-100)"),
    "vip_priority": ("Extra priority of a VIP caller (0-100)", "Độ ưu tiên thêm cho người gọi VIP (0-100)"),
    "vip_lead_field": ("VIP when the lead's field", "VIP khi trường của khách hàng"),
    "vip_lead_value": ("has the value", "có giá trị"),
    "vip_numbers": ("VIP numbers (one a line)", "Số VIP (mỗi dòng một số)"),
    "max_waiting": ("Maximum callers waiting", "Số người chờ tối đa"),
    "max_wait_s": ("Maximum wait (seconds)", "Thời gian chờ tối đa (giây)"),
    "overflow_action": ("Past these limits", "Khi vượt giới hạn"),
    "overflow_queue_id": ("Overflow to queue", "Chuyển tràn sang hàng đợi"),
    "overflow_sound": ("Overflow message (sound)", "Lời nhắn khi tràn (âm thanh)"),
    "voicemail_box": ("Voicemail box (box@context)", "Hộp thư thoại (hộp@context)"),
    "callback_campaign_id": ("Campaign that places callbacks", "Chiến dịch thực hiện cuộc gọi lại"),
    "wrapup_s": ("Wrap-up (seconds)", "Thời gian hoàn tất sau cuộc gọi (giây)"),
    "sl_target_pct": ("Service level: % answered", "Mức phục vụ: % cuộc gọi được trả lời"),
    "sl_threshold_s": ("within (seconds)", "trong vòng (giây)"),
    "announce_every_s": ("Announce every (seconds; empty: never)", "Thông báo mỗi (giây; để trống: không)"),
    "announce_min_agents": ("only when at least this many agents serve the queue (0: always)",
                            "chỉ khi hàng đợi có ít nhất số nhân viên này phục vụ (0: luôn luôn)"),
    "announce_position": ("Announce the caller's position", "Thông báo vị trí của người gọi"),
    "announce_wait": ("Announce the estimated wait", "Thông báo thời gian chờ ước tính"),
    "press1_callback": ("\"Press 1 to be called back\"", "\"Bấm phím 1 để được gọi lại\""),
    "press1_sound": ("The offer callers hear (sound)", "Lời mời người gọi nghe (âm thanh)"),
    "moh_class": ("Music on hold (class)", "Nhạc chờ (lớp)"),
    "dispositions": ("Dispositions (code | Label, one a line)", "Kết quả cuộc gọi (mã | Nhãn, mỗi dòng một)"),
    "agents": ("Agents", "Nhân viên"),
}

_TEXTS: dict[str, tuple[str, str]] = {
    "nav_queues": ("Queues", "Hàng đợi"),
    "cap_queues": ("Set up inbound queues", "Thiết lập hàng đợi cuộc gọi đến"),
    "queues_title": ("Inbound queues", "Hàng đợi cuộc gọi đến"),
    "new_queue": ("New queue", "Hàng đợi mới"),
    "edit_queue": ("Edit queue", "Sửa hàng đợi"),
    "no_queues": ("No queue yet. Create one to take inbound calls.",
                  "Chưa có hàng đợi nào. Hãy tạo một hàng đợi để nhận cuộc gọi đến."),
    "queue_created": ("The queue was created.", "Đã tạo hàng đợi."),
    "queue_saved": ("The queue was saved.", "Đã lưu hàng đợi."),
    "queue_deleted": ("The queue was deleted.", "Đã xóa hàng đợi."),
    "queue_agents_saved": ("The queue's agents were saved.", "Đã lưu nhân viên của hàng đợi."),
    "queue_not_saved": ("The queue was not saved.", "Chưa lưu hàng đợi."),
    "queue_sound_unchecked": ("A sound could not be checked: {reason}", "Không kiểm tra được một âm thanh: {reason}"),
    "queue_open_now": ("Now", "Hiện tại"),
    "queue_is_open": ("open", "đang mở"),
    "queue_is_closed": ("closed", "đang đóng"),
    "queue_delete": ("Delete this queue", "Xóa hàng đợi này"),
    "queue_agents_help": (("Agents who take this queue's calls, with their skill level (10: best). "
                          "Empty: does not serve this queue."),
                          ("Nhân viên nhận cuộc gọi của hàng đợi này, với cấp kỹ năng (10: giỏi nhất). "
                          "Để trống: không phục vụ hàng đợi này.")),
    "queue_no_agents": ("There is no agent yet: create agents under Users.",
                        "Chưa có nhân viên nào: hãy tạo nhân viên trong mục Người dùng."),
    "queue_level": ("Skill level", "Cấp kỹ năng"),
    "queue_save_agents": ("Save agents", "Lưu nhân viên"),
    "q_sec_general": ("Queue", "Hàng đợi"),
    "q_sec_hours": ("Business hours", "Giờ làm việc"),
    "q_sec_routing": ("Routing", "Phân cuộc gọi"),
    "q_sec_vip": ("VIP callers", "Người gọi VIP"),
    "q_sec_limits": ("Limits and overflow", "Giới hạn và chuyển tràn"),
    "q_sec_waiting": ("While callers wait", "Khi người gọi chờ"),
    "q_sec_sl": ("Service level and wrap-up", "Mức phục vụ và thời gian hoàn tất"),
    "q_help_dids": ("Each number with its country code (+84..., +33...), one a line. A number routes to one queue.",
                    "Mỗi số có mã quốc gia (+84..., +33...), mỗi dòng một số. Mỗi số chỉ chuyển vào một hàng đợi."),
    "q_help_hours": ("Hours in the queue's time zone, e.g. 08:00-12:00, 13:30-17:30. Empty: closed that day.",
                     "Giờ theo múi giờ của hàng đợi, ví dụ 08:00-12:00, 13:30-17:30. Để trống: nghỉ ngày đó."),
    "q_help_skills": (("With the skills strategy a caller first goes to agents at or above the first level; after "
                      "each wait, lower levels may take them too. 0:8, 30:5, 60:1 = level 8+ at once, 5+ after "
                      "30 s, anyone after 60 s."),
                      ("Với cách phân theo kỹ năng, người gọi trước tiên đến nhân viên có cấp từ cấp đầu trở lên; "
                      "sau mỗi khoảng chờ, cấp thấp hơn cũng có thể nhận. 0:8, 30:5, 60:1 = cấp 8+ ngay, 5+ sau "
                      "30 giây, bất kỳ ai sau 60 giây.")),
    "q_help_sounds": (("Sounds are names from Asterisk's sounds folder without extension, joined by &; empty: "
                      "please-try-call-later. Each is checked on the PBX when saved."),
                      ("Âm thanh là tên trong thư mục âm thanh của Asterisk, không có phần mở rộng, nối bằng &; để "
                      "trống: please-try-call-later. Mỗi âm thanh được kiểm tra trên tổng đài khi lưu.")),
    "q_help_sl": (("Service level = callers answered within the time / (callers answered + callers who left "
                  "unanswered after the time: hung up, overflowed, voicemail or callback). Callers who left sooner "
                  "are not counted."),
                  ("Mức phục vụ = số người gọi được trả lời trong thời gian / (số được trả lời + số rời đi mà chưa "
                  "được trả lời sau thời gian đó: gác máy, chuyển tràn, hộp thư thoại hoặc gọi lại). Người rời "
                  "đi sớm hơn không được tính.")),
    "q_none": ("—", "—"),
    "q_strategy_longest_idle": ("Longest idle agent", "Nhân viên rảnh lâu nhất"),
    "q_strategy_fewest_calls_today": ("Fewest calls today", "Ít cuộc gọi nhất hôm nay"),
    "q_strategy_skills": ("Skills (levels widen with the wait)", "Theo kỹ năng (mở rộng cấp theo thời gian chờ)"),
    "q_strategy_round_robin": ("Round robin", "Lần lượt xoay vòng"),
    "q_closed_message": ("Play the closed message and hang up", "Phát lời nhắn ngoài giờ rồi gác máy"),
    "q_closed_voicemail": ("Voicemail", "Hộp thư thoại"),
    "q_closed_callback": ("Take a callback request", "Nhận yêu cầu gọi lại"),
    "q_overflow_none": ("Nothing (no limit)", "Không có (không giới hạn)"),
    "q_overflow_queue": ("Overflow to another queue", "Chuyển tràn sang hàng đợi khác"),
    "q_overflow_voicemail": ("Voicemail", "Hộp thư thoại"),
    "q_overflow_callback": ("Take a callback request", "Nhận yêu cầu gọi lại"),
    "q_overflow_message": ("Play the overflow message and hang up", "Phát lời nhắn khi tràn rồi gác máy"),
}


def _messages() -> dict[str, dict[str, str]]:
    found = {f"qerr_{code}": {"en": text, "vi": _VI_ERRORS[code]} for code, text in ENGLISH.items()}
    found.update({f"qf_{field}": {"en": en, "vi": vi} for field, (en, vi) in _FIELDS.items()})
    found.update({key: {"en": en, "vi": vi} for key, (en, vi) in _TEXTS.items()})
    return found


QUEUE_MESSAGES: dict[str, dict[str, str]] = _messages()


def field_label(t: Callable[..., str], field: str) -> str:
    """A setting's label in the reader's language; ``hours.mon`` is the hours' label and the weekday's."""
    base, _, day = field.partition(".")
    label = t(f"qf_{base}") if f"qf_{base}" in QUEUE_MESSAGES else field
    return f"{label}, {t('day_' + day)}" if day else label


def queue_problem(t: Callable[..., str], exc: QueueError) -> str:
    """A refusal in the reader's language: "The queue was not saved. <Field>: <why>"."""
    return f"{t('queue_not_saved')} {field_label(t, exc.field)}: {t('qerr_' + exc.code, **exc.params)}"
