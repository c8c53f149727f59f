"""The survey pages' texts in English and Vietnamese (merged into ``admin_ui.i18n.MESSAGES``).

``sverr_<code>`` words each refusal of ``surveys.model.SurveyError`` (English from ``surveys.model.ENGLISH``),
``svprompt_<code>`` each refusal of an uploaded prompt (``surveys.prompts.ENGLISH``); ``sv_*`` the pages,
the builder's script and the agent panel's survey card.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from surveys.model import ENGLISH as SURVEY_EN
from surveys.offers import ENGLISH as OFFER_EN
from surveys.prompts import ENGLISH as PROMPT_EN

_VI_OFFER: dict[str, str] = {
    "target": "hãy chọn một chiến dịch hoặc một hàng đợi",
    "mode": "'{value}' không phải cách chạy khảo sát; dùng after_call hoặc campaign",
    "campaign_only": "chiến dịch khảo sát không nhân viên là thiết lập của chiến dịch, không phải của hàng đợi",
    "share": "'{value}' không phải tỉ lệ cuộc gọi; nhập phần trăm nguyên 1-100",
    "once_per_days": "'{value}' không phải số ngày; nhập số nguyên 0-3650",
    "lines": "'{value}' không phải số kênh; nhập số nguyên 1-1000",
}

_VI_ERRORS: dict[str, str] = {
    "name": "khảo sát cần một tên dài 1-200 ký tự, không xuống dòng",
    "required": "thiếu thiết lập này",
    "not_list": "hãy nhập một danh sách",
    "not_object": "hãy nhập một đối tượng có các thiết lập đặt tên",
    "choice": "'{value}' không thuộc {choices}",
    "range": "'{value}' nằm ngoài khoảng cho phép; nhập số nguyên {low}-{high}",
    "text": "nội dung câu hỏi dài tối đa 500 ký tự",
    "question_id": "'{value}' không phải mã câu hỏi (một chữ thường, rồi chữ, số hoặc _; tối đa 40)",
    "question_twice": "hai câu hỏi cùng mã '{value}'",
    "no_questions": "khảo sát cần ít nhất một câu hỏi",
    "too_many": "khảo sát có tối đa {high} câu hỏi",
    "prompt_empty": "hãy chọn ít nhất một âm thanh, tệp tải lên hoặc số để đọc",
    "prompt_kind": "'{value}' không phải phần lời nhắc; dùng sound, upload, number hoặc answer",
    "sound": "'{value}' không phải tên âm thanh Playback dùng được (không khoảng trắng, dấu phẩy, dấu ngoặc kép, "
             "'|' hay chữ có dấu)",
    "upload": "'{value}' không phải mã lời nhắc đã tải lên",
    "number": "'{value}' không phải số nguyên để đọc",
    "answer_ref": "câu hỏi '{value}' không tồn tại hoặc không phải câu hỏi số hay thang điểm",
    "digit": "'{value}' không phải một phím số 0-9",
    "digit_twice": "phím {value} được dùng hai lần",
    "choices_few": "câu hỏi lựa chọn cần 2-9 phương án",
    "label": "nhãn của phương án {value} phải dài 1-100 ký tự trên một dòng",
    "digits_order": "số chữ số tối thiểu ({low}) lớn hơn tối đa ({high})",
    "branch_kind": "câu hỏi '{question}': câu hỏi loại {kind} không rẽ nhánh được; chỉ thang điểm, có/không và "
                   "lựa chọn mới rẽ nhánh",
    "branch_value": "câu hỏi '{question}': '{value}' không phải câu trả lời câu hỏi này nhận",
    "branch_target": "câu hỏi '{question}': chuyển tới '{value}', không phải câu hỏi của khảo sát này",
    "branch_self": "câu hỏi '{question}': không thể chuyển tới chính nó",
    "cycle": "câu hỏi '{question}' quay lại chính nó: {cycle}",
    "keys_clash": "phím từ chối cuộc gọi và phím gặp nhân viên phải khác nhau",
    "operator_kind": "'{value}' không phải hàng đợi hay chiến dịch",
    "operator_id": "hãy chọn hàng đợi hoặc chiến dịch nhận cuộc gọi",
    "operator_unknown": "không có {kind} {value}",
    "sound_missing": "không tìm thấy âm thanh '{value}' trên {server}",
}

_VI_PROMPT: dict[str, str] = {
    "empty": "tệp '{filename}' trống",
    "too_big": "tệp '{filename}' nặng {size_mb:.1f} MB; giới hạn là {limit_mb:.0f} MB",
    "not_audio": "tệp '{filename}' không phải bản ghi WAV hay MP3 (các byte đầu không phải của tệp âm thanh, dù "
                 "tên tệp nói gì)",
    "unreadable": "tệp '{filename}' có vẻ là {kind} nhưng không giải mã được ({detail})",
    "too_long": "bản ghi '{filename}' dài {seconds:.1f} giây; lời nhắc dài tối đa {limit:.0f} giây",
    "too_short": "bản ghi '{filename}' chỉ dài {seconds:.2f} giây: quá ngắn để nghe",
    "silent": "bản ghi '{filename}' im lặng",
}

_PAGES: dict[str, tuple[str, str]] = {
    "nav_surveys": ("Surveys", "Khảo sát"),
    "sv_title": ("Surveys", "Khảo sát"),
    "sv_new": ("New survey", "Khảo sát mới"),
    "sv_none": ("No survey yet.", "Chưa có khảo sát nào."),
    "sv_name": ("Name", "Tên"),
    "sv_version": ("Version", "Phiên bản"),
    "sv_versions": ("Versions", "Các phiên bản"),
    "sv_responses": ("Responses", "Lượt trả lời"),
    "sv_created": ("Created", "Tạo lúc"),
    "sv_statistics": ("Statistics", "Thống kê"),
    "sv_edit": ("Edit", "Sửa"),
    "sv_builder": ("Survey builder", "Soạn khảo sát"),
    "sv_versions_help": (("A version that has answers is never changed: saving makes a new version, and every "
                         "answer keeps pointing to the version that was asked."),
                         ("Phiên bản đã có câu trả lời không bao giờ bị sửa: lưu sẽ tạo phiên bản mới, và mỗi câu trả "
                         "lời vẫn gắn với phiên bản đã được hỏi.")),
    "sv_intro": ("Intro", "Lời chào"),
    "sv_outro": ("Outro (thanks, goodbye)", "Lời kết (cảm ơn, tạm biệt)"),
    "sv_questions": ("Questions", "Câu hỏi"),
    "sv_add": ("Add a question", "Thêm câu hỏi"),
    "sv_remove": ("Remove", "Xóa"),
    "sv_up": ("Up", "Lên"),
    "sv_save": ("Save", "Lưu"),
    "sv_saved": ("Saved as version {version}.", "Đã lưu thành phiên bản {version}."),
    "sv_not_saved": ("Not saved:", "Chưa lưu:"),
    "sv_question_id": ("Question id", "Mã câu hỏi"),
    "sv_question_text": ("Question text (for agents and reports)", "Nội dung câu hỏi (cho nhân viên và báo cáo)"),
    "sv_kind": ("Kind", "Loại"),
    "sv_kind_rating": ("Rating 1-5", "Thang điểm 1-5"),
    "sv_kind_nps": ("NPS 0-10", "NPS 0-10"),
    "sv_kind_yes_no": ("Yes (1) / no (2)", "Có (1) / không (2)"),
    "sv_kind_choice": ("Choice among keys", "Chọn theo phím"),
    "sv_kind_number": ("Number typed on the keypad", "Số nhập trên bàn phím"),
    "sv_kind_recording": ("Spoken answer (recorded)", "Trả lời bằng lời (ghi âm)"),
    "sv_prompt": ("Prompt", "Lời nhắc"),
    "sv_prompt_sound": ("Asterisk sound", "Âm thanh Asterisk"),
    "sv_prompt_upload": ("Uploaded recording", "Bản ghi đã tải lên"),
    "sv_prompt_number": ("Say a number", "Đọc một số"),
    "sv_upload": ("Upload WAV or MP3", "Tải lên WAV hoặc MP3"),
    "sv_uploaded": ("Uploaded: {seconds:.1f} s, converted to 8 kHz mono.",
                    "Đã tải lên: {seconds:.1f} giây, đã chuyển sang 8 kHz mono."),
    "sv_uploading": ("Uploading…", "Đang tải lên…"),
    "sv_choices": ("Options (key | label, one a line)", "Các phương án (phím | nhãn, mỗi dòng một)"),
    "sv_min_digits": ("Minimum digits", "Số chữ số tối thiểu"),
    "sv_max_digits": ("Maximum digits (# ends)", "Số chữ số tối đa (# để kết thúc)"),
    "sv_max_record_s": ("Longest answer (s)", "Câu trả lời dài nhất (giây)"),
    "sv_timeout_s": ("Wait for a key (s)", "Chờ bấm phím (giây)"),
    "sv_branches": ("Branches (answer → next question id, or end), one a line",
                    "Rẽ nhánh (câu trả lời → mã câu hỏi tiếp theo, hoặc end), mỗi dòng một"),
    "sv_next": ("Otherwise go to (empty: the next question)", "Nếu không thì tới (trống: câu hỏi kế tiếp)"),
    "sv_on_no_input": ("No input: repeat", "Không bấm phím: nhắc lại"),
    "sv_on_invalid": ("Invalid key: repeat", "Bấm sai phím: nhắc lại"),
    "sv_then_skip": ("times, then skip the question", "lần, rồi bỏ qua câu hỏi"),
    "sv_then_end": ("times, then end the survey", "lần, rồi kết thúc khảo sát"),
    "sv_opt_out": ("Key to stop receiving these calls (empty: none)",
                   "Phím để không nhận các cuộc gọi này nữa (trống: không có)"),
    "sv_opt_out_help": ("The number goes on the campaign's DNC list, with an audit entry.",
                        "Số được đưa vào danh sách không gọi của chiến dịch, có ghi nhật ký."),
    "sv_operator_digit": ("Key to talk to someone (empty: none)", "Phím để gặp nhân viên (trống: không có)"),
    "sv_operator_kind": ("Who takes the call", "Ai nhận cuộc gọi"),
    "sv_operator_queue": ("Queue", "Hàng đợi"),
    "sv_operator_campaign": ("Campaign", "Chiến dịch"),
    "sv_keys_help": ("Both keys are offered while the intro plays, before the first question.",
                     "Cả hai phím được mời bấm trong lời chào, trước câu hỏi đầu tiên."),
    "sv_from": ("From", "Từ"),
    "sv_to": ("To", "Đến"),
    "sv_campaign": ("Campaign", "Chiến dịch"),
    "sv_all": ("All", "Tất cả"),
    "sv_show": ("Show", "Xem"),
    "sv_offered": ("Offered", "Đã mời"),
    "sv_started": ("Started", "Đã bắt đầu"),
    "sv_completed": ("Completed", "Hoàn thành"),
    "sv_completion": ("Completion", "Tỉ lệ hoàn thành"),
    "sv_reached": ("Reached", "Đã tới"),
    "sv_answered": ("Answered", "Đã trả lời"),
    "sv_skipped": ("No answer", "Không trả lời"),
    "sv_nonresponse": ("Nonresponse", "Tỉ lệ không trả lời"),
    "sv_dropped": ("Hung up here", "Gác máy ở đây"),
    "sv_mean": ("Mean (95 % CI)", "Trung bình (KTC 95 %)"),
    "sv_nps": ("NPS (95 % CI)", "NPS (KTC 95 %)"),
    "sv_distribution": ("Answers to {question}", "Câu trả lời cho {question}"),
    "sv_per_agent": ("Per agent", "Theo nhân viên"),
    "sv_per_campaign": ("Per campaign", "Theo chiến dịch"),
    "sv_per_queue": ("Per queue", "Theo hàng đợi"),
    "sv_agent": ("Agent", "Nhân viên"),
    "sv_queue": ("Queue", "Hàng đợi"),
    "sv_calls_handled": ("Calls handled", "Cuộc gọi đã xử lý"),
    "sv_offer_rate": ("Offer rate (95 % CI)", "Tỉ lệ mời (KTC 95 %)"),
    "sv_stats_help": (("Means: Student's t interval. NPS: adjusted Wald interval (Sauro & Lewis). Shares: Wilson "
                      "interval. A response that ended without completing counts as a hang-up at the question it "
                      "stood at."),
                      ("Trung bình: khoảng tin cậy t của Student. NPS: khoảng Wald hiệu chỉnh (Sauro & Lewis). Tỉ lệ: "
                      "khoảng Wilson. Lượt trả lời kết thúc khi chưa hoàn thành được tính là gác máy ở câu hỏi "
                      "đang hỏi.")),
    "sv_no_responses": ("No response in this period.", "Không có lượt trả lời nào trong khoảng này."),
    "sv_bad_date": ("Dates are written YYYY-MM-DD.", "Ngày viết theo dạng YYYY-MM-DD."),
    "sv_export_csv": ("Export CSV", "Xuất CSV"),
    "sv_export_xlsx": ("Export XLSX", "Xuất XLSX"),
    "sv_name_taken": ("a survey named '{name}' already exists", "đã có khảo sát tên '{name}'"),
    "sv_scripted": ("Campaigns whose agents ask this survey", "Các chiến dịch có nhân viên hỏi khảo sát này"),
    "sv_scripted_help": (("During each call of these campaigns the agent panel shows the questions; the answers are "
                         "saved with the disposition. A campaign asks one survey."),
                         ("Trong mỗi cuộc gọi của các chiến dịch này, bảng điều khiển của nhân viên hiện các câu hỏi; "
                         "câu trả lời được lưu cùng kết quả cuộc gọi. Mỗi chiến dịch hỏi một khảo sát.")),
    "sv_scripted_other": ("asks another survey now", "đang hỏi khảo sát khác"),
    "sv_offers": ("Where this survey is offered", "Nơi khảo sát này được mời"),
    "sv_offers_help": (("After a call: a share of the calls the campaign's or queue's agents end, chosen by the "
                       "system, nobody again within the days given. Survey campaign: the campaign dials its list "
                       "with no agents and every person reached hears the survey, at most 'lines' at once. A "
                       "campaign or queue has one such setting; saving replaces it."),
                       ("Sau cuộc gọi: một tỉ lệ các cuộc gọi mà nhân viên của chiến dịch hoặc hàng đợi kết thúc, do "
                       "hệ thống chọn, không mời lại một người trong số ngày đã nhập. Chiến dịch khảo sát: chiến dịch "
                       "gọi danh sách mà không cần nhân viên, mọi người nghe máy đều nghe khảo sát, tối đa 'số "
                       "kênh' cùng lúc. Mỗi chiến dịch hoặc hàng đợi có một thiết lập như vậy; lưu sẽ thay thế nó.")),
    "sv_offer_target": ("Campaign or queue", "Chiến dịch hoặc hàng đợi"),
    "sv_offer_mode": ("How", "Cách chạy"),
    "sv_offer_after_call": ("After a call", "Sau cuộc gọi"),
    "sv_offer_campaign": ("Survey campaign (no agents)", "Chiến dịch khảo sát (không nhân viên)"),
    "sv_offer_share": ("Share of calls offered (%)", "Tỉ lệ cuộc gọi được mời (%)"),
    "sv_offer_once": ("Not again within (days)", "Không mời lại trong (ngày)"),
    "sv_offer_lines": ("Lines (at once)", "Số kênh (cùng lúc)"),
    "sv_offer_save": ("Save the offer", "Lưu lời mời"),
    "sv_offer_remove": ("Remove", "Gỡ bỏ"),
    "sv_offer_saved": ("The offer is saved.", "Đã lưu lời mời."),
    "sv_offer_none": ("Not offered anywhere yet.", "Chưa được mời ở đâu."),
    "sv_panel_title": ("Survey: {name}", "Khảo sát: {name}"),
    "sv_panel_done": ("Survey finished: the answers are saved.", "Đã xong khảo sát: các câu trả lời đã được lưu."),
    "sv_panel_save": ("Next", "Tiếp"),
    "sv_panel_skip": ("No answer", "Không trả lời"),
    "sv_panel_yes": ("Yes", "Có"),
    "sv_panel_no": ("No", "Không"),
    "sv_panel_not_now": ("The survey is not open for this call.", "Khảo sát không mở cho cuộc gọi này."),
    "sv_panel_wrong_question": ("That question is not the one being asked now.",
                                "Câu hỏi đó không phải câu đang được hỏi."),
    "sv_panel_invalid": ("'{value}' is not an answer to this question.",
                         "'{value}' không phải câu trả lời cho câu hỏi này."),
}

SURVEY_MESSAGES: dict[str, dict[str, str]] = {key: {"en": en, "vi": vi} for key, (en, vi) in _PAGES.items()}
SURVEY_MESSAGES.update({f"sverr_{code}": {"en": text, "vi": _VI_ERRORS[code]} for code, text in SURVEY_EN.items()})
SURVEY_MESSAGES.update({f"svprompt_{code}": {"en": text, "vi": _VI_PROMPT[code]} for code, text in PROMPT_EN.items()})
SURVEY_MESSAGES.update({f"svoffer_{code}": {"en": text, "vi": _VI_OFFER[code]} for code, text in OFFER_EN.items()})


def survey_problem(t: Callable[..., str], error: Any) -> str:
    """A ``SurveyError`` in the reader's language: ``field: detail``."""
    return f"{error.field}: {t(f'sverr_{error.code}', **error.params)}"


def offer_problem(t: Callable[..., str], error: Any) -> str:
    """An ``OfferError`` in the reader's language: ``field: detail``."""
    return f"{error.field}: {t(f'svoffer_{error.code}', **error.params)}"


def prompt_problem(t: Callable[..., str], error: Any) -> str:
    """A ``PromptRefused`` in the reader's language."""
    return str(t(f"svprompt_{error.code}", **error.params))
