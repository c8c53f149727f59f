"""Interface strings in English and Vietnamese; each user picks a language, pages call ``t(key)``."""

from __future__ import annotations

from collections.abc import Callable, Mapping

LANGUAGES = ("en", "vi")

MESSAGES: dict[str, dict[str, str]] = {
    "app_name": {"en": "Dialer", "vi": "Dialer"},
    "sign_in": {"en": "Sign in", "vi": "Đăng nhập"},
    "sign_out": {"en": "Sign out", "vi": "Đăng xuất"},
    "username": {"en": "Username", "vi": "Tên đăng nhập"},
    "password": {"en": "Password", "vi": "Mật khẩu"},
    "bad_login": {"en": "Wrong username or password.", "vi": "Sai tên đăng nhập hoặc mật khẩu."},
    "too_many_logins": {
        "en": "Too many failed sign-ins. Wait {seconds} seconds and try again.",
        "vi": "Đăng nhập sai quá nhiều lần. Vui lòng đợi {seconds} giây rồi thử lại.",
    },
    "login_form_expired": {"en": "The sign-in form expired or came from another site. Please try again.",
                           "vi": "Biểu mẫu đăng nhập đã hết hạn hoặc đến từ trang khác. Vui lòng thử lại."},
    "session_expired": {"en": "Your session has expired. Please sign in again.",
                        "vi": "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại."},
    "welcome": {"en": "Welcome, {name}", "vi": "Xin chào, {name}"},
    "you_are": {"en": "You are signed in as {role}. You can:", "vi": "Bạn đăng nhập với vai trò {role}. Bạn có thể:"},
    "cap_users": {"en": "Manage users and roles", "vi": "Quản lý người dùng và vai trò"},
    "cap_campaigns": {"en": "Create and run campaigns", "vi": "Tạo và chạy chiến dịch"},
    "cap_lists": {"en": "Upload call lists", "vi": "Tải lên danh sách cuộc gọi"},
    "cap_dnc": {"en": "Maintain do-not-call lists", "vi": "Quản lý danh sách không gọi (DNC)"},
    "cap_audit": {"en": "Read the DNC audit trail", "vi": "Xem nhật ký kiểm tra DNC"},
    "cap_abandonment": {"en": "Check abandonment compliance", "vi": "Kiểm tra tỷ lệ cuộc gọi bị bỏ"},
    "cap_wallboard": {"en": "Watch the live wallboard", "vi": "Xem bảng theo dõi trực tiếp"},
    "cap_reports": {"en": "Read reports", "vi": "Xem báo cáo"},
    "cap_simulate": {"en": "Simulate pacing", "vi": "Mô phỏng nhịp quay số"},
    "cap_panel": {"en": "Open the agent panel and take calls", "vi": "Mở bảng điều khiển và nhận cuộc gọi"},
    "role_admin": {"en": "Admin", "vi": "Quản trị viên"},
    "role_team_lead": {"en": "Team lead", "vi": "Trưởng nhóm"},
    "role_agent": {"en": "Agent", "vi": "Nhân viên"},
    "role_compliance": {"en": "Compliance officer", "vi": "Cán bộ tuân thủ"},
    "error": {"en": "Something went wrong", "vi": "Đã xảy ra lỗi"},
    "not_found": {"en": "This page does not exist.", "vi": "Trang này không tồn tại."},
    "forbidden": {"en": "You do not have access to this page.", "vi": "Bạn không có quyền truy cập trang này."},
    "back_home": {"en": "Back to the home page", "vi": "Về trang chủ"},

    # --- navigation and shared words
    "nav_panel": {"en": "Agent panel", "vi": "Bảng điều khiển"},
    "nav_campaigns": {"en": "Campaigns", "vi": "Chiến dịch"},
    "nav_wallboard": {"en": "Wallboard", "vi": "Bảng theo dõi"},
    "nav_reports": {"en": "Reports", "vi": "Báo cáo"},
    "nav_dnc": {"en": "Do not call", "vi": "Danh sách không gọi"},
    "nav_audit": {"en": "DNC audit", "vi": "Nhật ký DNC"},
    "nav_compliance": {"en": "Abandonment", "vi": "Tỷ lệ bỏ cuộc gọi"},
    "nav_users": {"en": "Users", "vi": "Người dùng"},
    "language": {"en": "Language", "vi": "Ngôn ngữ"},
    "lang_en": {"en": "English", "vi": "Tiếng Anh"},
    "lang_vi": {"en": "Vietnamese", "vi": "Tiếng Việt"},
    "save": {"en": "Save", "vi": "Lưu"},
    "cancel": {"en": "Cancel", "vi": "Hủy"},
    "search": {"en": "Search", "vi": "Tìm kiếm"},
    "status": {"en": "Status", "vi": "Trạng thái"},
    "name": {"en": "Name", "vi": "Tên"},
    "reason": {"en": "Reason", "vi": "Lý do"},
    "when": {"en": "When", "vi": "Thời điểm"},
    "who": {"en": "Who", "vi": "Người thực hiện"},
    "action": {"en": "Action", "vi": "Thao tác"},
    "number": {"en": "Number", "vi": "Số điện thoại"},
    "none_yet": {"en": "Nothing here yet.", "vi": "Chưa có dữ liệu."},
    "not_saved": {"en": "Not saved:", "vi": "Chưa lưu được:"},
    "saved": {"en": "Saved.", "vi": "Đã lưu."},
    "download_csv": {"en": "Download CSV", "vi": "Tải về CSV"},
    "unavailable": {"en": "This part of the system is not running yet.",
                    "vi": "Phần này của hệ thống chưa hoạt động."},
    # --- users and roles
    "users_title": {"en": "Users and roles", "vi": "Người dùng và vai trò"},
    "display_name": {"en": "Display name", "vi": "Tên hiển thị"},
    "role": {"en": "Role", "vi": "Vai trò"},
    "phone": {"en": "Phone", "vi": "Điện thoại"},
    "active": {"en": "Active", "vi": "Đang hoạt động"},
    "deactivated": {"en": "Deactivated", "vi": "Đã vô hiệu hóa"},
    "new_user": {"en": "New user", "vi": "Người dùng mới"},
    "create_user": {"en": "Create user", "vi": "Tạo người dùng"},
    "user_created": {"en": "The user was created.", "vi": "Đã tạo người dùng."},
    "user_saved": {"en": "The user was saved.", "vi": "Đã lưu người dùng."},
    "no_such_user": {"en": "There is no such user.", "vi": "Không có người dùng này."},
    "cannot_demote_self": {"en": "You cannot deactivate yourself or take away your own admin role.",
                           "vi": "Bạn không thể tự vô hiệu hóa hoặc tự bỏ vai trò quản trị của mình."},
    "sessions_open": {"en": "Sessions", "vi": "Phiên"},
    "sign_out_everywhere": {"en": "Sign out everywhere", "vi": "Đăng xuất mọi nơi"},
    "user_signed_out": {"en": "The user was signed out everywhere.", "vi": "Người dùng đã bị đăng xuất khỏi mọi nơi."},
    "reset_password": {"en": "Reset password", "vi": "Đặt lại mật khẩu"},
    "new_password": {"en": "New password", "vi": "Mật khẩu mới"},
    "password_was_reset": {"en": "The password was reset and the user was signed out everywhere.",
                           "vi": "Đã đặt lại mật khẩu và đăng xuất người dùng khỏi mọi nơi."},
    "password_rule": {"en": "Passwords need at least 10 characters. Changing a role, deactivating a user or resetting their password ends their sessions.",
                      "vi": "Mật khẩu cần ít nhất 10 ký tự. Đổi vai trò, vô hiệu hóa người dùng hoặc đặt lại mật khẩu sẽ kết thúc các phiên đăng nhập của họ."},
    # --- do not call
    "dnc_title": {"en": "Do-not-call lists", "vi": "Danh sách không gọi"},
    "dnc_import_title": {"en": "Import a registry file", "vi": "Nhập tệp danh bạ cấm gọi"},
    "dnc_check": {"en": "Check number", "vi": "Kiểm tra số"},
    "region": {"en": "Region (if no +country code)", "vi": "Quốc gia (nếu không có mã +)"},
    "dnc_blocked": {"en": "{number} may not be called: it is on {list}.",
                    "vi": "Không được gọi {number}: số này nằm trong danh sách {list}."},
    "dnc_callable": {"en": "{number} is on no do-not-call list.", "vi": "{number} không nằm trong danh sách không gọi nào."},
    "dnc_in_registry": {"en": "It is in the imported registry of {list}.", "vi": "Số này có trong tệp danh bạ đã nhập của {list}."},
    "dnc_list": {"en": "List", "vi": "Danh sách"},
    "dnc_lists": {"en": "Lists", "vi": "Các danh sách"},
    "dnc_add": {"en": "Add a number", "vi": "Thêm số điện thoại"},
    "dnc_remove": {"en": "Remove", "vi": "Gỡ bỏ"},
    "dnc_reason_hint": {"en": "e.g. customer asked on the phone", "vi": "ví dụ: khách hàng yêu cầu qua điện thoại"},
    "dnc_added": {"en": "The number was added to the list.", "vi": "Đã thêm số vào danh sách."},
    "dnc_removed": {"en": "The number was removed from the list.", "vi": "Đã gỡ số khỏi danh sách."},
    "dnc_not_on_list": {"en": "The number was not on that list.", "vi": "Số này không có trong danh sách đó."},
    "dnc_list_heading": {"en": "List {list}", "vi": "Danh sách {list}"},
    "dnc_list_counts": {"en": "{entries} entries added one by one; {registry} numbers in its registry file.",
                        "vi": "{entries} số được thêm từng số; {registry} số trong tệp danh bạ."},
    "dnc_registry_file_from": {"en": "Registry file imported on {when} by {who}.",
                               "vi": "Tệp danh bạ được nhập lúc {when} bởi {who}."},
    "dnc_found_here": {"en": "{number} is on this list.", "vi": "{number} có trong danh sách này."},
    "dnc_not_here": {"en": "{number} is not on this list.", "vi": "{number} không có trong danh sách này."},
    "dnc_entries_title": {"en": "Entries", "vi": "Các số đã thêm"},
    "dnc_registry_title": {"en": "Numbers of the registry file", "vi": "Các số trong tệp danh bạ"},
    "dnc_registry_showing": {"en": "Numbers {first} to {last} of {total}, in numeric order.",
                             "vi": "Số thứ {first} đến {last} trên tổng số {total}, theo thứ tự số."},
    "dnc_no_entries": {"en": "No numbers here.", "vi": "Không có số nào."},
    "dnc_previous_page": {"en": "« Previous page", "vi": "« Trang trước"},
    "dnc_browse": {"en": "Browse", "vi": "Xem danh sách"},
    "dnc_invalid_lines": {"en": "Lines that are not phone numbers (the first 20; all are counted above):",
                          "vi": "Các dòng không phải số điện thoại (20 dòng đầu; tất cả đã được đếm ở trên):"},
    "dnc_export_help": {"en": "The export holds every entry, then every number of the registry file. Cells that a spreadsheet would run as a formula start with an apostrophe ('), phone numbers too: '+84987654321.",
                        "vi": "Tệp xuất gồm mọi số đã thêm, rồi mọi số trong tệp danh bạ. Ô nào bảng tính có thể chạy như công thức đều bắt đầu bằng dấu nháy ('), kể cả số điện thoại: '+84987654321."},
    "reason_required": {"en": "Give a reason: every change is audited.", "vi": "Vui lòng nhập lý do: mọi thay đổi đều được ghi nhật ký."},
    "expires": {"en": "Expires", "vi": "Hết hạn"},
    "expired": {"en": "expired", "vi": "đã hết hạn"},
    "kind": {"en": "Kind", "vi": "Loại"},
    "kind_internal": {"en": "Internal", "vi": "Nội bộ"},
    "kind_national": {"en": "National registry", "vi": "Danh bạ quốc gia"},
    "kind_campaign": {"en": "Campaign", "vi": "Chiến dịch"},
    "kind_sms_optout": {"en": "SMS opt-out", "vi": "Từ chối nhận SMS"},
    "dnc_bad_line": {"en": "line {line}: {text}: {reason}", "vi": "dòng {line}: {text}: {reason}"},
    "dnc_summary_rows": {
        "en": "imported {numbers} numbers into {list} ({kind}) from {lines} lines, {invalid} invalid; {added} new",
        "vi": "đã nhập {numbers} số vào {list} ({kind}) từ {lines} dòng, {invalid} dòng không hợp lệ; {added} số mới"},
    "dnc_summary_registry": {
        "en": "imported {numbers} numbers into {list} ({kind}) from {lines} lines, {invalid} invalid; registry file {file}",
        "vi": "đã nhập {numbers} số vào {list} ({kind}) từ {lines} dòng, {invalid} dòng không hợp lệ; "
              "tệp danh bạ {file}"},
    "entries": {"en": "Entries", "vi": "Số mục"},
    "registry": {"en": "Registry numbers", "vi": "Số trong danh bạ"},
    "details": {"en": "Details", "vi": "Chi tiết"},
    "older": {"en": "Older entries", "vi": "Các mục cũ hơn"},
    "audit_add": {"en": "added", "vi": "thêm"},
    "audit_remove": {"en": "removed", "vi": "gỡ bỏ"},
    "audit_import": {"en": "imported", "vi": "nhập tệp"},
    "audit_scrub": {"en": "scrubbed", "vi": "lọc danh sách"},
    "audit_create_list": {"en": "created list", "vi": "tạo danh sách"},
    "dnc_import_help": {"en": "One number per line, or a CSV file with the column named below. A national registry replaces the list's previous file; other lists are added to.",
                        "vi": "Mỗi dòng một số, hoặc tệp CSV với cột ghi bên dưới. Danh bạ quốc gia sẽ thay thế tệp cũ của danh sách; các danh sách khác được bổ sung thêm."},
    "file": {"en": "File", "vi": "Tệp"},
    "csv_column": {"en": "CSV column (optional)", "vi": "Cột CSV (không bắt buộc)"},
    "start_import": {"en": "Start import", "vi": "Bắt đầu nhập"},
    "choose_file": {"en": "Choose a file to upload.", "vi": "Vui lòng chọn tệp để tải lên."},
    "list_name_required": {"en": "Give the name of the list to import into.", "vi": "Vui lòng nhập tên danh sách cần nhập vào."},
    "bad_list_kind": {"en": "Choose internal, national registry or SMS opt-out.", "vi": "Vui lòng chọn nội bộ, danh bạ quốc gia hoặc từ chối SMS."},
    "job_queued": {"en": "Waiting for a worker…", "vi": "Đang chờ xử lý…"},
    # --- agent panel
    "st_logged_out": {"en": "Signed out of calls", "vi": "Chưa nhận cuộc gọi"},
    "st_connecting": {"en": "Connecting phone", "vi": "Đang kết nối điện thoại"},
    "st_ready": {"en": "Ready", "vi": "Sẵn sàng"},
    "st_reserved": {"en": "Call coming", "vi": "Cuộc gọi đang đến"},
    "st_on_call": {"en": "On call", "vi": "Đang gọi"},
    "st_wrap_up": {"en": "Wrap-up", "vi": "Hoàn tất cuộc gọi"},
    "wrap_next_in": {"en": "next call in {s} s", "vi": "cuộc gọi tiếp theo sau {s} giây"},
    "st_paused": {"en": "Paused", "vi": "Tạm dừng"},
    "time_in_state": {"en": "In state", "vi": "Thời gian"},
    "calls_today": {"en": "Calls today", "vi": "Cuộc gọi hôm nay"},
    "talk_time": {"en": "Talk time", "vi": "Thời gian đàm thoại"},
    "campaign": {"en": "Campaign", "vi": "Chiến dịch"},
    "ws_connected": {"en": "Connected", "vi": "Đã kết nối"},
    "ws_reconnecting": {"en": "Reconnecting…", "vi": "Đang kết nối lại…"},
    "phone_pbx_restarting": {"en": "The phone system is restarting. Your phone will be called again as soon as it is back: no need to sign in.",
                             "vi": "Tổng đài đang khởi động lại. Điện thoại của bạn sẽ được gọi lại ngay khi tổng đài hoạt động trở lại: bạn không cần đăng nhập lại."},
    "phone_reconnecting": {"en": "Calling your phone again after the phone system restarted…",
                           "vi": "Đang gọi lại điện thoại của bạn sau khi tổng đài khởi động lại…"},
    "phone_reconnected": {"en": "Your phone is connected again. You can take calls.",
                          "vi": "Điện thoại của bạn đã được kết nối lại. Bạn có thể nhận cuộc gọi."},
    "phone_gave_up": {"en": "Your phone could not be connected again after the phone system restarted. Check it, then sign in again.",
                      "vi": "Không thể kết nối lại điện thoại của bạn sau khi tổng đài khởi động lại. Hãy kiểm tra điện thoại rồi đăng nhập lại."},
    "engine_down": {"en": "The dialer engine is not running. Your panel will connect when it starts.",
                    "vi": "Bộ quay số chưa chạy. Bảng điều khiển sẽ tự kết nối khi bộ quay số khởi động."},
    "tab_read_only": {"en": "The panel is open in another tab. This tab only watches.",
                      "vi": "Bảng điều khiển đang mở ở một thẻ khác. Thẻ này chỉ để xem."},
    "take_over": {"en": "Work in this tab", "vi": "Làm việc ở thẻ này"},
    "start_work": {"en": "Start working", "vi": "Bắt đầu làm việc"},
    "connect_phone": {"en": "Connect my phone", "vi": "Kết nối điện thoại"},
    "ready": {"en": "Ready", "vi": "Sẵn sàng"},
    "pause": {"en": "Pause", "vi": "Tạm dừng"},
    "pause_reason": {"en": "Pause reason", "vi": "Lý do tạm dừng"},
    "pause_break": {"en": "Break", "vi": "Nghỉ giải lao"},
    "pause_lunch": {"en": "Lunch", "vi": "Ăn trưa"},
    "pause_meeting": {"en": "Meeting", "vi": "Họp"},
    "pause_training": {"en": "Training", "vi": "Đào tạo"},
    "pause_other": {"en": "Other", "vi": "Lý do khác"},
    "hang_up": {"en": "Hang up", "vi": "Gác máy"},
    "log_out_phone": {"en": "Stop taking calls", "vi": "Ngừng nhận cuộc gọi"},
    "transfer": {"en": "Transfer", "vi": "Chuyển cuộc gọi"},
    "transfer_number": {"en": "To an outside number", "vi": "Tới số bên ngoài"},
    "transfer_agent_id": {"en": "Or to agent number", "vi": "Hoặc tới mã nhân viên"},
    # the agent panel: a call received by transfer, and what the server says to an agent (agents_ws.panel_strings)
    "pause_transfer": {"en": "Transferred call", "vi": "Cuộc gọi được chuyển"},
    "transferred_from": {"en": "Transferred to you by {name}", "vi": "Được chuyển tới bạn bởi {name}"},
    "transfer_talking": {"en": "Talking (transferred call)", "vi": "Đang nói chuyện (cuộc gọi được chuyển)"},
    "transfer_wrap_up": {"en": "Customer gone: set the disposition", "vi": "Khách đã gác máy: hãy chọn kết quả"},
    "postal_code": {"en": "Postal code", "vi": "Mã bưu chính"},
    "outcome_handled": {"en": "Handled", "vi": "Đã xử lý"},
    "outcome_abandoned": {"en": "Abandoned", "vi": "Bị bỏ"},
    "outcome_machine": {"en": "Answering machine", "vi": "Máy trả lời tự động"},
    "outcome_customer_hung_up": {"en": "Hung up at once", "vi": "Khách gác máy ngay"},
    "outcome_busy": {"en": "Busy", "vi": "Máy bận"},
    "outcome_no_answer": {"en": "No answer", "vi": "Không trả lời"},
    "outcome_congestion": {"en": "Network busy", "vi": "Mạng bận"},
    "outcome_invalid_number": {"en": "Invalid number", "vi": "Số không hợp lệ"},
    "outcome_rejected": {"en": "Refused by the PBX", "vi": "Tổng đài từ chối"},
    "outcome_pbx_cut": {"en": "Cut by a PBX restart", "vi": "Bị ngắt do tổng đài khởi động lại"},
    "outcome_failed": {"en": "Failed", "vi": "Thất bại"},
    "outcome_cancelled": {"en": "Cancelled", "vi": "Đã hủy"},
    "err_refused": {"en": "This could not be done: {detail}", "vi": "Không thực hiện được: {detail}"},
    "err_not_signed_in": {"en": "you are not signed in to a campaign", "vi": "bạn chưa đăng nhập vào chiến dịch nào"},
    "err_campaign_not_running": {"en": "this campaign is not running", "vi": "chiến dịch này không chạy"},
    "err_already_signed_in": {"en": "you are already signed in", "vi": "bạn đã đăng nhập rồi"},
    "err_no_phone": {"en": "no phone is set for you: ask an admin to set your phone's dial string",
                     "vi": "bạn chưa có điện thoại: hãy nhờ quản trị viên cài đặt số điện thoại của bạn"},
    "err_phone_not_connected": {"en": "your phone is not connected yet: answer it first",
                                "vi": "điện thoại của bạn chưa kết nối: hãy nhấc máy trước"},
    "err_no_call_to_hang_up": {"en": "you have no call to hang up", "vi": "bạn không có cuộc gọi nào để gác máy"},
    "err_not_waiting_disposition": {"en": "this call is not waiting for a disposition",
                                    "vi": "cuộc gọi này không chờ chọn kết quả"},
    "err_unknown_disposition": {"en": "unknown disposition '{code}'; choose one of {codes}",
                                "vi": "kết quả '{code}' không tồn tại; hãy chọn một trong {codes}"},
    "err_no_call_to_transfer": {"en": "you have no call to transfer", "vi": "bạn không có cuộc gọi nào để chuyển"},
    "err_transfer_one_target": {"en": "transfer to one agent or one number",
                                "vi": "chỉ chuyển tới một nhân viên hoặc một số"},
    "err_agent_not_ready": {"en": "that agent is not ready to take a call",
                            "vi": "nhân viên đó chưa sẵn sàng nhận cuộc gọi"},
    "err_engine_not_running": {"en": "the dialer engine is not running; try again in a moment",
                               "vi": "bộ quay số chưa chạy; hãy thử lại sau giây lát"},
    "err_engine_cannot": {"en": "this version of the engine cannot {what} yet",
                          "vi": "phiên bản bộ quay số này chưa làm được việc này ({what})"},
    "err_not_international": {"en": "'{number}' is not a phone number in international form (+33..., +1...)",
                              "vi": "'{number}' không phải số điện thoại dạng quốc tế (+33..., +84...)"},
    "err_invalid_number": {"en": "'{number}' is not a valid phone number",
                           "vi": "'{number}' không phải số điện thoại hợp lệ"},
    "err_no_campaign": {"en": "there is no campaign {id}", "vi": "không có chiến dịch {id}"},
    "err_campaign_gone": {"en": "your campaign no longer exists", "vi": "chiến dịch của bạn không còn tồn tại"},
    "err_campaign_not_started": {"en": "campaign not started: {why}", "vi": "chiến dịch chưa được bắt đầu: {why}"},
    "err_dial_when": {"en": "you can dial only when ready or paused, with no call",
                      "vi": "bạn chỉ có thể gọi khi sẵn sàng hoặc tạm dừng, không có cuộc gọi nào"},
    "err_lead_not_yours": {"en": "this lead is not in your campaign",
                           "vi": "khách hàng này không thuộc chiến dịch của bạn"},
    "err_dial_refused": {"en": "not allowed to dial this number now: {why}",
                         "vi": "không được phép gọi số này lúc này: {why}"},
    # a number the agent typed (dialer.control.manual_dial_number) and why a dial is refused
    "err_dial_refused_reason": {"en": "not allowed to dial this number now: {reason} ({why})",
                                "vi": "không được phép gọi số này lúc này: {reason}"},
    # transfers to an agent picked by name: blind, talk first (warm), three-way
    "transfer_to_agent": {"en": "To an agent who is ready", "vi": "Tới một nhân viên đang sẵn sàng"},
    "transfer_blind": {"en": "Transfer now", "vi": "Chuyển ngay"},
    "transfer_consult": {"en": "Talk first", "vi": "Trao đổi trước"},
    "transfer_three_way": {"en": "Three-way call", "vi": "Gọi ba bên"},
    "transfer_complete": {"en": "Complete the transfer", "vi": "Hoàn tất chuyển cuộc gọi"},
    "transfer_cancel": {"en": "Cancel the transfer", "vi": "Hủy chuyển cuộc gọi"},
    "transfer_to_number": {"en": "Transfer to the number", "vi": "Chuyển tới số"},
    # inbound calls in the panel (dialer.inbound_pop) and the cold transfer to a queue (dialer.queue_transfer)
    "transfer_to_queue": {"en": "Transfer to a queue", "vi": "Chuyển tới hàng chờ"},
    "transfer_queue_send": {"en": "Send to the queue", "vi": "Chuyển vào hàng chờ"},
    "queue_closed_now": {"en": "closed now", "vi": "đang đóng cửa"},
    "no_queues": {"en": "No inbound queue is set up", "vi": "Chưa có hàng chờ gọi vào nào"},
    "inbound_call_from_queue": {"en": "Inbound call · {queue}", "vi": "Cuộc gọi đến · {queue}"},
    "inbound_waited": {"en": "waited {seconds} s", "vi": "đã chờ {seconds} giây"},
    "callback_from_queue": {"en": "Called back from queue {queue}, waited {seconds} s",
                            "vi": "Gọi lại từ hàng chờ {queue}, đã chờ {seconds} giây"},
    "inbound_vip": {"en": "VIP caller", "vi": "Khách hàng VIP"},
    "inbound_dialled": {"en": "dialled {did}", "vi": "đã gọi số {did}"},
    "inbound_sent_by": {"en": "Sent to this queue by {name}", "vi": "Được {name} chuyển vào hàng chờ này"},
    "survey_pressed_0": {"en": "From survey {survey} (asked to talk to someone)",
                         "vi": "Từ khảo sát {survey} (khách muốn nói chuyện với nhân viên)"},
    "survey_skipped": {"en": "(no answer)", "vi": "(không trả lời)"},
    "inbound_other_leads": {"en": "The same number in other leads", "vi": "Cùng số điện thoại ở các khách hàng khác"},
    "new_contact_title": {"en": "Unknown caller: create the contact in {campaign}",
                          "vi": "Người gọi chưa có trong hệ thống: tạo liên hệ trong {campaign}"},
    "first_name": {"en": "First name", "vi": "Tên"},
    "last_name": {"en": "Last name", "vi": "Họ"},
    "create_contact": {"en": "Create the contact", "vi": "Tạo liên hệ"},
    "err_not_your_inbound": {"en": "this is not your inbound call", "vi": "đây không phải cuộc gọi đến của bạn"},
    "err_caller_has_lead": {"en": "this caller already has a lead", "vi": "người gọi này đã có hồ sơ khách hàng"},
    "err_contact_number": {"en": "the caller's number is not a phone number; the contact cannot be created",
                           "vi": "số của người gọi không phải số điện thoại; không thể tạo liên hệ"},
    "err_no_such_queue": {"en": "that queue does not exist", "vi": "hàng chờ đó không tồn tại"},
    "err_queue_closed": {"en": "queue {name} is closed now", "vi": "hàng chờ {name} hiện đang đóng cửa"},
    "err_queue_transfer_failed": {"en": "the customer could not be sent to the queue: {why}",
                                  "vi": "không chuyển được khách hàng vào hàng chờ: {why}"},
    "refresh_agents": {"en": "Refresh the list", "vi": "Làm mới danh sách"},
    "no_ready_agents": {"en": "No other agent of this campaign is ready", "vi": "Không có nhân viên nào khác của chiến dịch đang sẵn sàng"},
    "consult_with": {"en": "Talking with {name} first; the customer is on hold (music, hears neither of you)",
                     "vi": "Đang trao đổi trước với {name}; khách hàng đang chờ máy (nghe nhạc chờ, không nghe thấy hai bạn)"},
    "conference_with": {"en": "Three-way call with {name} and the customer",
                        "vi": "Cuộc gọi ba bên với {name} và khách hàng"},
    "transfer_consult_stage": {"en": "Talking first with the sending agent; the customer is on hold and cannot hear you",
                               "vi": "Đang trao đổi trước với nhân viên chuyển; khách hàng đang chờ máy, không nghe thấy bạn"},
    "transfer_conference_stage": {"en": "Three-way call with the sending agent and the customer",
                                  "vi": "Cuộc gọi ba bên với nhân viên chuyển và khách hàng"},
    "err_transfer_under_way": {"en": "finish or cancel the transfer under way first",
                               "vi": "hãy hoàn tất hoặc hủy việc chuyển cuộc gọi đang diễn ra trước"},
    "err_finish_transferred_call": {"en": "finish the call transferred to you first",
                                    "vi": "hãy hoàn tất cuộc gọi được chuyển cho bạn trước"},
    "err_no_transfer_under_way": {"en": "you are not transferring a call to an agent",
                                  "vi": "bạn không đang chuyển cuộc gọi nào cho nhân viên khác"},
    "manual_dial": {"en": "Dial a number", "vi": "Gọi một số"},
    "manual_dial_hint": {"en": "number, e.g. (212) 555-0100 or +33…", "vi": "số điện thoại, ví dụ 0912 345 678 hoặc +84…"},
    "err_typed_number": {"en": "the number '{number}' cannot be dialled: {problem}",
                         "vi": "không thể gọi số '{number}': {problem}"},
    "number_problem_empty": {"en": "nothing typed", "vi": "chưa nhập số"},
    "number_problem_not_a_number": {"en": "not a phone number", "vi": "không phải số điện thoại"},
    "number_problem_too_short": {"en": "too short", "vi": "quá ngắn"},
    "number_problem_too_long": {"en": "too long", "vi": "quá dài"},
    "number_problem_length": {"en": "wrong length for its country", "vi": "sai độ dài so với quốc gia của số"},
    "number_problem_country": {"en": "unknown country code", "vi": "mã quốc gia không tồn tại"},
    "number_problem_range": {"en": "no such number range in its country",
                             "vi": "không có dải số này ở quốc gia của số"},
    "number_problem_other": {"en": "not a valid number", "vi": "không phải số hợp lệ"},
    "dial_reason_ok": {"en": "allowed", "vi": "được phép"},
    "dial_reason_lead_status": {"en": "this lead is closed", "vi": "khách hàng này đã đóng"},
    "dial_reason_dnc": {"en": "the number is on a do-not-call list", "vi": "số này nằm trong danh sách không gọi"},
    "dial_reason_dnc_unknown": {"en": "the do-not-call lists cannot be checked now",
                                "vi": "hiện không kiểm tra được danh sách không gọi"},
    "dial_reason_campaign_state": {"en": "the campaign is not running", "vi": "chiến dịch không chạy"},
    "dial_reason_attempts": {"en": "too many attempts for this number in the period",
                             "vi": "số này đã được gọi quá số lần cho phép trong kỳ"},
    "dial_reason_abandon_cooldown": {"en": "a call to this number was abandoned recently",
                                     "vi": "một cuộc gọi tới số này vừa bị bỏ dở gần đây"},
    "dial_reason_callback_not_due": {"en": "its callback is not due yet", "vi": "chưa đến giờ gọi lại"},
    "dial_reason_retry_not_due": {"en": "its next attempt is not due yet", "vi": "chưa đến lần gọi tiếp theo"},
    "dial_reason_campaign_schedule": {"en": "outside the campaign's hours", "vi": "ngoài giờ làm việc của chiến dịch"},
    "dial_reason_window": {"en": "outside the calling hours where the customer lives",
                           "vi": "ngoài khung giờ được phép gọi tại nơi khách hàng sống"},
    "dial_reason_no_zone": {"en": "the customer's time zone is unknown", "vi": "không rõ múi giờ của khách hàng"},
    "err_other_tab": {"en": "the panel is open in another tab; use that tab or take over here",
                      "vi": "bảng điều khiển đang mở ở thẻ khác; hãy dùng thẻ đó hoặc làm việc ở thẻ này"},
    "err_logged": {"en": "this could not be done; the problem has been logged",
                   "vi": "không thực hiện được; sự cố đã được ghi lại"},
    "err_role": {"en": "your role no longer allows the agent panel",
                 "vi": "vai trò của bạn không còn được dùng bảng điều khiển nhân viên"},
    "err_not_assigned": {"en": "you are not assigned to this campaign", "vi": "bạn không được phân công vào chiến dịch này"},
    "err_sign_in_first": {"en": "sign in to a campaign first", "vi": "hãy đăng nhập vào một chiến dịch trước"},
    "err_unknown_zone": {"en": "unknown time zone '{zone}'", "vi": "múi giờ '{zone}' không tồn tại"},
    "err_callback_not_time": {"en": "the callback time is not a date and time",
                              "vi": "thời gian gọi lại không phải ngày giờ hợp lệ"},
    "err_callback_past": {"en": "the callback time is in the past", "vi": "thời gian gọi lại đã qua"},
    "err_agent_not_in_campaign": {"en": "that agent does not work in this campaign",
                                  "vi": "nhân viên đó không làm việc trong chiến dịch này"},
    "err_connection_not_allowed": {"en": "this connection is not allowed", "vi": "kết nối này không được phép"},
    "err_invalid_message": {"en": "the panel sent a message the server cannot read; reload the page",
                            "vi": "bảng điều khiển gửi một thông điệp máy chủ không đọc được; hãy tải lại trang"},
    "err_crm_not_http": {"en": "the campaign's CRM address is not an http(s) URL",
                         "vi": "địa chỉ CRM của chiến dịch không phải URL http(s)"},
    "err_crm_timeout": {"en": "the CRM did not answer within {seconds} s", "vi": "CRM không trả lời trong {seconds} giây"},
    "err_crm_unreachable": {"en": "the CRM could not be reached ({why})", "vi": "không kết nối được tới CRM ({why})"},
    "err_crm_http": {"en": "the CRM answered with HTTP {status}", "vi": "CRM trả lời với mã HTTP {status}"},
    "preview": {"en": "Preview", "vi": "Xem trước"},
    "next_lead": {"en": "Show next lead", "vi": "Xem khách hàng tiếp theo"},
    "skip": {"en": "Skip", "vi": "Bỏ qua"},
    "call": {"en": "Call", "vi": "Gọi"},
    "dialing": {"en": "Dialling…", "vi": "Đang quay số…"},
    "find_lead": {"en": "Find a lead", "vi": "Tìm khách hàng"},
    "find_lead_hint": {"en": "Name or number", "vi": "Tên hoặc số điện thoại"},
    "no_results": {"en": "No lead found.", "vi": "Không tìm thấy khách hàng."},
    "lead_details": {"en": "Customer", "vi": "Khách hàng"},
    "external_crm": {"en": "From the CRM", "vi": "Từ hệ thống CRM"},
    "crm_loading": {"en": "Loading from the CRM…", "vi": "Đang tải từ CRM…"},
    "crm_failed": {"en": "The CRM did not answer:", "vi": "CRM không phản hồi:"},
    "crm_none": {"en": "This campaign has no CRM link.", "vi": "Chiến dịch này không liên kết CRM."},
    "call_history": {"en": "Call history", "vi": "Lịch sử cuộc gọi"},
    "history_none": {"en": "First call to this customer.", "vi": "Lần đầu gọi cho khách hàng này."},
    "attempts": {"en": "Attempts", "vi": "Số lần gọi"},
    "outcome": {"en": "Outcome", "vi": "Kết quả"},
    "disposition": {"en": "Disposition", "vi": "Kết quả cuộc gọi"},
    "notes": {"en": "Notes", "vi": "Ghi chú"},
    "agent": {"en": "Agent", "vi": "Nhân viên"},
    "callback_at": {"en": "Call back at (customer's time)", "vi": "Gọi lại lúc (giờ của khách hàng)"},
    "callback_personal": {"en": "I will make the callback myself", "vi": "Tôi sẽ tự gọi lại"},
    "save_disposition": {"en": "Save and finish the call", "vi": "Lưu và kết thúc cuộc gọi"},
    "dispo_saved": {"en": "Disposition saved.", "vi": "Đã lưu kết quả cuộc gọi."},
    "callback_scheduled": {"en": "Callback scheduled.", "vi": "Đã hẹn gọi lại."},
    "pick_disposition": {"en": "Choose a disposition first.", "vi": "Vui lòng chọn kết quả cuộc gọi."},
    "no_preview": {"en": "No lead can be called now.", "vi": "Hiện không có khách hàng nào để gọi."},
    "incoming_call": {"en": "Call connected", "vi": "Cuộc gọi đã kết nối"},
    "session_over": {"en": "Your session has ended. Please sign in again.", "vi": "Phiên làm việc đã kết thúc. Vui lòng đăng nhập lại."},
    "no_lead": {"en": "Unknown caller", "vi": "Người gọi không xác định"},
    "not_assigned_any": {"en": "You are not assigned to any campaign yet. Ask your team lead.",
                         "vi": "Bạn chưa được phân công vào chiến dịch nào. Hãy hỏi trưởng nhóm."},
    "on_hold_wait": {"en": "Waiting for a call…", "vi": "Đang chờ cuộc gọi…"},
    "my_callbacks": {"en": "Callbacks", "vi": "Hẹn gọi lại"},
    "refresh": {"en": "Refresh", "vi": "Làm mới"},
    "no_callbacks": {"en": "No callback pending.", "vi": "Không có lịch hẹn gọi lại nào."},
    "panel_idle": {"en": "No call right now. When a customer is connected, their details appear here at once.",
                   "vi": "Hiện chưa có cuộc gọi. Khi khách hàng được kết nối, thông tin sẽ hiện ở đây ngay lập tức."},
    # --- campaigns
    "new_campaign": {"en": "New campaign", "vi": "Chiến dịch mới"},
    "edit_campaign": {"en": "Edit settings", "vi": "Sửa cài đặt"},
    "no_campaigns": {"en": "No campaign yet. Create one to upload a call list.", "vi": "Chưa có chiến dịch nào. Hãy tạo một chiến dịch để tải danh sách cuộc gọi lên."},
    "dial_mode": {"en": "Dialling mode", "vi": "Chế độ quay số"},
    "leads": {"en": "Leads", "vi": "Khách hàng"},
    "dialable": {"en": "Still to call", "vi": "Còn phải gọi"},
    "agents": {"en": "Agents", "vi": "Nhân viên"},
    "cs_draft": {"en": "Draft", "vi": "Nháp"},
    "cs_scheduled": {"en": "Scheduled", "vi": "Đã lên lịch"},
    "cs_running": {"en": "Running", "vi": "Đang chạy"},
    "cs_paused": {"en": "Paused", "vi": "Tạm dừng"},
    "cs_finished": {"en": "Stopped", "vi": "Đã dừng"},
    "mode_predictive": {"en": "Predictive", "vi": "Dự đoán"},
    "mode_progressive": {"en": "Progressive", "vi": "Lần lượt"},
    "mode_power": {"en": "Power", "vi": "Gọi nhiều line"},
    "mode_preview": {"en": "Preview", "vi": "Xem trước"},
    "mode_manual": {"en": "Manual", "vi": "Thủ công"},
    "trunk_template": {"en": "Trunk (dial string with {number})", "vi": "Đường trung kế (chuỗi quay số có {number})"},
    "power_ratio": {"en": "Power mode: lines per ready agent", "vi": "Chế độ nhiều line: số line cho mỗi nhân viên sẵn sàng"},
    "abandon_target": {"en": "Abandonment target (%)", "vi": "Mục tiêu tỷ lệ bỏ cuộc gọi (%)"},
    "caller_id": {"en": "Caller ID", "vi": "Số hiển thị"},
    "default_region": {"en": "Country of the numbers (ISO code)", "vi": "Quốc gia của các số (mã ISO)"},
    "campaign_timezone": {"en": "Campaign time zone", "vi": "Múi giờ của chiến dịch"},
    "crm_url": {"en": "CRM address for the pop ({phone}, {lead_id}…)", "vi": "Địa chỉ CRM cho màn hình khách hàng ({phone}, {lead_id}…)"},
    "schedule": {"en": "Schedule (campaign time)", "vi": "Lịch chạy (giờ của chiến dịch)"},
    "hours_help": {"en": "Hours per day as 09:00-12:00, 13:00-18:00. Leave empty for a closed day.",
                   "vi": "Giờ mỗi ngày theo dạng 09:00-12:00, 13:00-18:00. Để trống nếu ngày đó nghỉ."},
    "day_mon": {"en": "Monday", "vi": "Thứ Hai"}, "day_tue": {"en": "Tuesday", "vi": "Thứ Ba"},
    "day_wed": {"en": "Wednesday", "vi": "Thứ Tư"}, "day_thu": {"en": "Thursday", "vi": "Thứ Năm"},
    "day_fri": {"en": "Friday", "vi": "Thứ Sáu"}, "day_sat": {"en": "Saturday", "vi": "Thứ Bảy"},
    "day_sun": {"en": "Sunday", "vi": "Chủ Nhật"},
    "starts_on": {"en": "Starts on", "vi": "Bắt đầu từ"},
    "ends_on": {"en": "Ends on", "vi": "Kết thúc vào"},
    "calling_window": {"en": "Calling window (customer's time)", "vi": "Khung giờ gọi (giờ của khách hàng)"},
    "window_profile": {"en": "Profile", "vi": "Mẫu quy định"},
    "profile_us": {"en": "United States (08:00-21:00)", "vi": "Hoa Kỳ (08:00-21:00)"},
    "profile_france": {"en": "France (weekdays 10-13, 14-20; 4 attempts per 30 days)", "vi": "Pháp (ngày thường 10-13, 14-20; 4 lần gọi mỗi 30 ngày)"},
    "profile_custom": {"en": "Custom", "vi": "Tùy chỉnh"},
    "custom_window_help": {"en": "Used only with the custom profile.", "vi": "Chỉ dùng với mẫu tùy chỉnh."},
    "attempts_cap": {"en": "At most … attempts", "vi": "Tối đa … lần gọi"},
    "per_days": {"en": "per … days", "vi": "trong … ngày"},
    "holidays": {"en": "No calls on holidays of", "vi": "Không gọi vào ngày lễ của"},
    "retry_policy": {"en": "Retry policy", "vi": "Quy tắc gọi lại"},
    "retry_after_min": {"en": "Retry after (minutes)", "vi": "Gọi lại sau (phút)"},
    "max_attempts": {"en": "Max attempts", "vi": "Số lần gọi tối đa"},
    "out_busy": {"en": "Busy", "vi": "Máy bận"}, "out_no_answer": {"en": "No answer", "vi": "Không trả lời"},
    "out_machine": {"en": "Answering machine", "vi": "Hộp thư thoại"},
    "out_abandoned": {"en": "Abandoned", "vi": "Bị bỏ"}, "out_failed": {"en": "Failed", "vi": "Lỗi"},
    "out_handled": {"en": "Handled", "vi": "Đã xử lý"}, "out_cancelled": {"en": "Cancelled", "vi": "Đã hủy"},
    "out_pbx_cut": {"en": "Cut by the phone system (restart)", "vi": "Bị tổng đài ngắt (khởi động lại)"},
    "phone_unreachable": {"en": "Your phone could not be reached: check it, then sign in again.",
                          "vi": "Không gọi được điện thoại của bạn: hãy kiểm tra rồi đăng nhập lại."},
    # the agent is not really there (dialer.presence, dialer.agents.DISCONNECTED): its panel, or its phone, went away
    "pause_disconnected": {"en": "your panel was disconnected", "vi": "bảng điều khiển của bạn đã mất kết nối"},
    "paused_disconnected": {"en": "Paused: your panel was disconnected, so no call was sent to you. Press Ready to take calls again.",
                            "vi": "Tạm dừng: bảng điều khiển của bạn đã mất kết nối nên không có cuộc gọi nào được chuyển tới bạn. Bấm Sẵn sàng để nhận cuộc gọi lại."},
    "phone_hung_up": {"en": "Signed out: your phone hung up. Sign in again to take calls.",
                      "vi": "Đã đăng xuất: điện thoại của bạn đã gác máy. Hãy đăng nhập lại để nhận cuộc gọi."},
    "no_recall_h": {"en": "No re-call after an abandoned call for (hours)", "vi": "Không gọi lại sau cuộc gọi bị bỏ trong (giờ)"},
    "dispositions": {"en": "Dispositions", "vi": "Kết quả cuộc gọi"},
    "dispositions_help": {"en": "One per line: code | Label | final, or code | Label | retry MINUTES ATTEMPTS.",
                          "vi": "Mỗi dòng một mục: mã | Nhãn | final, hoặc mã | Nhãn | retry SỐ_PHÚT SỐ_LẦN."},
    "record_calls": {"en": "Record calls", "vi": "Ghi âm cuộc gọi"},
    "amd": {"en": "Detect answering machines", "vi": "Phát hiện hộp thư thoại"},
    "machine_action": {"en": "On an answering machine", "vi": "Khi gặp hộp thư thoại"},
    "machine_hangup": {"en": "Hang up", "vi": "Gác máy"},
    "machine_message": {"en": "Leave the message", "vi": "Để lại lời nhắn"},
    "safe_harbor": {"en": "Safe-harbor message (played when no agent is free)", "vi": "Lời nhắn khi không có nhân viên rảnh"},
    "campaign_created": {"en": "The campaign was created. Upload a call list and assign agents.", "vi": "Đã tạo chiến dịch. Hãy tải danh sách cuộc gọi lên và phân công nhân viên."},
    "campaign_saved": {"en": "The campaign was saved.", "vi": "Đã lưu chiến dịch."},
    "agents_saved": {"en": "The agents were assigned.", "vi": "Đã phân công nhân viên."},
    "state_changed": {"en": "The campaign's state was changed.", "vi": "Đã đổi trạng thái chiến dịch."},
    "import_started": {"en": "The import has started.", "vi": "Đã bắt đầu nhập danh sách."},
    "not_done": {"en": "Not done:", "vi": "Chưa thực hiện được:"},
    "act_start": {"en": "Start", "vi": "Bắt đầu"}, "act_pause": {"en": "Pause", "vi": "Tạm dừng"},
    "act_stop": {"en": "Stop", "vi": "Dừng hẳn"},
    "confirm_stop": {"en": "Stop this campaign for good?", "vi": "Dừng hẳn chiến dịch này?"},
    "engine_not_running_campaign": {"en": "The dialer engine is not running: a started campaign dials once it runs.",
                                    "vi": "Bộ quay số chưa chạy: chiến dịch đã bắt đầu sẽ quay số khi bộ quay số chạy."},
    "ls_new": {"en": "new", "vi": "mới"}, "ls_claimed": {"en": "dialling", "vi": "đang quay"},
    "ls_retry": {"en": "to retry", "vi": "chờ gọi lại"}, "ls_callback": {"en": "callback", "vi": "hẹn gọi lại"},
    "ls_done": {"en": "done", "vi": "xong"}, "ls_dnc": {"en": "do not call", "vi": "không gọi"},
    "ls_invalid": {"en": "invalid", "vi": "không hợp lệ"},
    "call_lists": {"en": "Call lists", "vi": "Danh sách cuộc gọi"},
    "imported": {"en": "Imported", "vi": "Đã nhập"},
    "rejected": {"en": "Rejected", "vi": "Bị loại"},
    "list_importing": {"en": "importing", "vi": "đang nhập"}, "list_ready": {"en": "ready", "vi": "sẵn sàng"},
    "list_failed": {"en": "failed", "vi": "thất bại"},
    "rejects_report": {"en": "Rejects (CSV)", "vi": "Dòng bị loại (CSV)"},
    "first_rejects": {"en": "Why rows were rejected or flagged (the first {count}; all are in the report)",
                      "vi": "Lý do các dòng bị loại hoặc bị đánh dấu ({count} dòng đầu; tất cả có trong báo cáo)"},
    "line_n": {"en": "line {n}", "vi": "dòng {n}"},
    "no_lists": {"en": "No list uploaded yet.", "vi": "Chưa tải danh sách nào lên."},
    "upload_list": {"en": "Upload a list (CSV or Excel)", "vi": "Tải danh sách lên (CSV hoặc Excel)"},
    "next_step": {"en": "Next: map the columns", "vi": "Tiếp: chọn cột"},
    "no_agents": {"en": "There are no agents yet. An admin can create them.", "vi": "Chưa có nhân viên nào. Quản trị viên có thể tạo."},
    "map_columns": {"en": "Map the columns", "vi": "Chọn cột dữ liệu"},
    "list_name": {"en": "Name of the list", "vi": "Tên danh sách"},
    "list_region": {"en": "Country of numbers without +country code (ISO code; empty: the campaign's, {region})",
                    "vi": "Quốc gia của các số không có mã +quốc gia (mã ISO; để trống: theo chiến dịch, {region})"},
    "bad_list_region": {"en": "Unknown country code '{region}': use an ISO code such as FR, VN or US.",
                        "vi": "Mã quốc gia '{region}' không hợp lệ: hãy dùng mã ISO như FR, VN hoặc US."},
    "timezones_flagged": {"en": "{count} time zones flagged", "vi": "{count} múi giờ bị đánh dấu"},
    "lead_field": {"en": "Lead field", "vi": "Trường thông tin"},
    "file_column": {"en": "Column of the file", "vi": "Cột trong tệp"},
    "field_phone": {"en": "Phone", "vi": "Số điện thoại"},
    "field_alt_phones": {"en": "Other phones", "vi": "Số điện thoại khác"},
    "field_first_name": {"en": "First name", "vi": "Tên"},
    "field_last_name": {"en": "Last name", "vi": "Họ"},
    "field_timezone": {"en": "Time zone", "vi": "Múi giờ"},
    "field_postal_code": {"en": "Postal code", "vi": "Mã bưu chính"},
    "field_priority": {"en": "Priority", "vi": "Độ ưu tiên"},
    "not_in_file": {"en": "not in the file", "vi": "không có trong tệp"},
    "other_columns_kept": {"en": "Other columns are kept and shown to agents in the pop.", "vi": "Các cột khác được giữ lại và hiển thị cho nhân viên khi có cuộc gọi."},
    "first_rows": {"en": "First rows", "vi": "Các dòng đầu tiên"},
    "back_to_campaign": {"en": "Back to the campaign", "vi": "Quay lại chiến dịch"},
    "bad_list_file": {"en": "Upload a CSV, TXT or Excel (.xlsx) file.", "vi": "Vui lòng tải lên tệp CSV, TXT hoặc Excel (.xlsx)."},
    "file_too_big": {"en": "The file is larger than 512 MB.", "vi": "Tệp lớn hơn 512 MB."},
    "file_empty": {"en": "The file is empty.", "vi": "Tệp trống."},
    "no_header": {"en": "The file has no header row to map.", "vi": "Tệp không có dòng tiêu đề để chọn cột."},
    "upload_again": {"en": "The uploaded file is no longer there; upload it again.", "vi": "Tệp đã tải lên không còn nữa; vui lòng tải lên lại."},
    "map_phone": {"en": "Choose the column that holds the phone number.", "vi": "Vui lòng chọn cột chứa số điện thoại."},
    # --- list files: what a file that is not a list is, the header row, columns by position
    "unreadable_empty": {"en": "{name} is empty: there is nothing to import.",
                         "vi": "Tệp {name} trống: không có gì để nhập."},
    "unreadable_image": {"en": "{name} is an image, not a list. Export the list as CSV or Excel (.xlsx).",
                         "vi": "Tệp {name} là hình ảnh, không phải danh sách. Hãy xuất danh sách ra tệp CSV hoặc Excel (.xlsx)."},
    "unreadable_pdf": {"en": "{name} is a PDF document, not a list. Export the list as CSV or Excel (.xlsx).",
                       "vi": "Tệp {name} là tài liệu PDF, không phải danh sách. Hãy xuất danh sách ra tệp CSV hoặc Excel (.xlsx)."},
    "unreadable_archive": {"en": "{name} is a ZIP archive, not an Excel workbook. Export the list as CSV or Excel (.xlsx).",
                           "vi": "Tệp {name} là tệp nén ZIP, không phải bảng tính Excel. Hãy xuất danh sách ra tệp CSV hoặc Excel (.xlsx)."},
    "unreadable_binary": {"en": "{name} is not a text or Excel file: it holds binary data. Export the list as CSV or Excel (.xlsx).",
                          "vi": "Tệp {name} không phải tệp văn bản hay Excel: tệp chứa dữ liệu nhị phân. Hãy xuất danh sách ra tệp CSV hoặc Excel (.xlsx)."},
    "header_row": {"en": "Row holding the column names", "vi": "Dòng chứa tên cột"},
    "header_none": {"en": "None: the first row is data", "vi": "Không có: dòng đầu tiên là dữ liệu"},
    "header_row_n": {"en": "Row {n}: {cells}", "vi": "Dòng {n}: {cells}"},
    "use_header_row": {"en": "Read the columns from this row", "vi": "Đọc tên cột từ dòng này"},
    "header_proposed_title": {
        "en": "Row {row} is proposed as the header row: the row above it looks like a title. Check it below.",
        "vi": "Đề xuất dòng {row} làm dòng tên cột: dòng phía trên trông giống tiêu đề. Vui lòng kiểm tra bên dưới."},
    "header_proposed_none": {
        "en": "The first row looks like data, so the file is read without a header row: choose the columns by position.",
        "vi": "Dòng đầu tiên trông giống dữ liệu nên tệp được đọc không có dòng tên cột: hãy chọn cột theo vị trí."},
    "header_used_title": {           # the lists API, when no header_row was sent
        "en": "Row {row} was read as the header row: the rows above it look like a title (send header_row to choose another).",
        "vi": "Dòng {row} được dùng làm dòng tên cột: các dòng phía trên trông giống tiêu đề (gửi header_row để chọn dòng khác)."},
    "header_used_none": {
        "en": "The first row looks like data, so the file was read without a header row (columns by position: phone=#N).",
        "vi": "Dòng đầu tiên trông giống dữ liệu nên tệp được đọc không có dòng tên cột (chọn cột theo vị trí: phone=#N)."},
    "column_n": {"en": "column {n}", "vi": "cột {n}"},
    "field_full_name": {"en": "Full name", "vi": "Họ và tên"},
    # --- reports, compliance, wallboard
    "all_campaigns": {"en": "All campaigns", "vi": "Tất cả chiến dịch"},
    "last_days": {"en": "Last days", "vi": "Số ngày gần nhất"},
    "show": {"en": "Show", "vi": "Xem"},
    "by_disposition": {"en": "Results by disposition", "vi": "Kết quả theo loại"},
    "per_agent": {"en": "Per agent", "vi": "Theo nhân viên"},
    "per_hour": {"en": "Per hour", "vi": "Theo giờ"},
    "result": {"en": "Result", "vi": "Kết quả"},
    "calls": {"en": "Calls", "vi": "Cuộc gọi"},
    "avg_handle": {"en": "Average handling", "vi": "Thời gian xử lý trung bình"},
    "sales": {"en": "Sales", "vi": "Đơn hàng"},
    "hour": {"en": "Hour", "vi": "Giờ"},
    "answered": {"en": "Answered", "vi": "Có người nghe"},
    "no_calls_period": {"en": "No calls in this period.", "vi": "Không có cuộc gọi nào trong khoảng thời gian này."},
    "abandonment_title": {"en": "Abandonment compliance", "vi": "Tuân thủ tỷ lệ cuộc gọi bị bỏ"},
    "abandonment_help": {"en": "Abandoned calls divided by calls answered by a person, over the rolling 24 hours and 30 days, against each campaign's cap.",
                         "vi": "Số cuộc gọi bị bỏ chia cho số cuộc gọi có người nghe, trong 24 giờ và 30 ngày gần nhất, so với mức trần của từng chiến dịch."},
    "cap": {"en": "Cap", "vi": "Mức trần"},
    "rate_24h": {"en": "24 hours", "vi": "24 giờ"},
    "rate_30d": {"en": "30 days", "vi": "30 ngày"},
    "answers_abandons": {"en": "answered / abandoned", "vi": "có người nghe / bị bỏ"},
    "over_cap": {"en": "Over the cap", "vi": "Vượt mức trần"},
    "within_cap": {"en": "Within the cap", "vi": "Trong mức cho phép"},
    "daily_abandonment": {"en": "Abandonment per day: {name}", "vi": "Tỷ lệ bỏ cuộc gọi theo ngày: {name}"},
    "wallboard_title": {"en": "Live wallboard", "vi": "Bảng theo dõi trực tiếp"},
    # --- the wallboard's row per agent, and what a team lead does from it
    "wb_agent": {"en": "Agent", "vi": "Nhân viên"},
    "wb_state": {"en": "State", "vi": "Trạng thái"},
    "wb_in_state": {"en": "Time in state", "vi": "Thời gian ở trạng thái"},
    "wb_pause_code": {"en": "Pause code", "vi": "Mã tạm dừng"},
    "wb_call": {"en": "Current call", "vi": "Cuộc gọi hiện tại"},
    "wb_calls_today": {"en": "Calls today", "vi": "Cuộc gọi hôm nay"},
    "wb_talk_today": {"en": "Talk time today", "vi": "Thời gian đàm thoại hôm nay"},
    "wb_actions": {"en": "Actions", "vi": "Thao tác"},
    "wb_pause": {"en": "Pause", "vi": "Tạm dừng"},
    "wb_sign_out": {"en": "Sign out", "vi": "Đăng xuất"},
    "wb_no_agents": {"en": "No agent is signed in.", "vi": "Chưa có nhân viên nào đăng nhập."},
    "wb_then_pause": {"en": "then pause: {reason}", "vi": "sau đó tạm dừng: {reason}"},
    "wb_then_sign_out": {"en": "then sign out", "vi": "sau đó đăng xuất"},
    "wb_confirm_sign_out": {"en": "Sign {name} out of calls?", "vi": "Đăng xuất {name} khỏi cuộc gọi?"},
    "wb_done_pause": {"en": "The agent is paused (after the current call, if any).",
                      "vi": "Nhân viên đã được tạm dừng (sau cuộc gọi hiện tại, nếu có)."},
    "wb_done_sign_out": {"en": "The agent is signed out (after the current call, if any).",
                         "vi": "Nhân viên đã được đăng xuất (sau cuộc gọi hiện tại, nếu có)."},
    "wb_not_signed_in": {"en": "this agent is not signed in.", "vi": "nhân viên này chưa đăng nhập."},
    "wb_pause_by_lead": {"en": "team lead", "vi": "trưởng nhóm"},
    "wb_recent_actions": {"en": "Recent team lead actions", "vi": "Thao tác gần đây của trưởng nhóm"},
    "wb_no_actions": {"en": "No team lead has paused, signed out, listened to or messaged an agent yet.",
                      "vi": "Chưa có trưởng nhóm nào tạm dừng, đăng xuất, nghe hay nhắn tin cho nhân viên."},
    "wb_team_lead": {"en": "Team lead", "vi": "Trưởng nhóm"},
    "wb_action": {"en": "Action", "vi": "Thao tác"},
    "wb_result": {"en": "Result", "vi": "Kết quả"},
    "wb_result_done": {"en": "Done", "vi": "Đã thực hiện"},
    # --- live supervision from the wallboard (dialer.live_supervision), and what the agent's panel shows of it
    "wb_listen": {"en": "Listen", "vi": "Nghe"},
    "wb_whisper": {"en": "Whisper", "vi": "Nhắc nhỏ"},
    "wb_barge": {"en": "Barge in", "vi": "Tham gia cuộc gọi"},
    "wb_message": {"en": "Message", "vi": "Tin nhắn"},
    "wb_message_prompt": {"en": "Message to {name}:", "vi": "Tin nhắn gửi {name}:"},
    "wb_audit_call": {"en": "Call", "vi": "Cuộc gọi"},
    "wb_stop_supervising": {"en": "Stop supervising", "vi": "Dừng giám sát"},
    "wb_done_listen": {"en": "Your phone rings: answer it to listen to the call.",
                       "vi": "Điện thoại của bạn đang đổ chuông: hãy nhấc máy để nghe cuộc gọi."},
    "wb_done_whisper": {"en": "Whispering: only the agent hears you.",
                        "vi": "Đang nhắc nhỏ: chỉ nhân viên nghe thấy bạn."},
    "wb_done_barge": {"en": "Barged in: the agent and the customer hear you.",
                      "vi": "Đã tham gia: nhân viên và khách hàng đều nghe thấy bạn."},
    "wb_done_stop": {"en": "Supervision stopped.", "vi": "Đã dừng giám sát."},
    "wb_done_message": {"en": "Message sent to the agent's panel.", "vi": "Đã gửi tin nhắn tới bảng của nhân viên."},
    "notify_monitored": {"en": "Tell agents when a team lead listens to their calls",
                         "vi": "Báo cho nhân viên khi trưởng nhóm nghe cuộc gọi của họ"},
    "monitored_notice": {"en": "A team lead is listening to this call.",
                         "vi": "Trưởng nhóm đang nghe cuộc gọi này."},
    "lead_message_from": {"en": "Message from {name}", "vi": "Tin nhắn từ {name}"},
    # --- small things a first day finds (issue 13)
    "not_found_help": {"en": "The address may be mistyped, or what it showed was removed. Use the menu above "
                             "or the links below.",
                       "vi": "Địa chỉ có thể bị gõ sai, hoặc nội dung đã bị xóa. Hãy dùng menu phía trên hoặc "
                             "các liên kết bên dưới."},
    "go_back": {"en": "Go back to the previous page", "vi": "Quay lại trang trước"},
    "out_customer_hung_up": {"en": "Hung up on answer", "vi": "Khách cúp máy khi vừa nghe"},
    "out_congestion": {"en": "Network busy", "vi": "Mạng bận"},
    "out_invalid_number": {"en": "Invalid number", "vi": "Số không hợp lệ"},
    "out_rejected": {"en": "Refused by the phone system", "vi": "Bị tổng đài từ chối"},
    "sched_always": {"en": "Every day, all day", "vi": "Mọi ngày, cả ngày"},
    "sched_closed": {"en": "closed", "vi": "nghỉ"},
    "sched_between": {"en": "From {start} to {end}", "vi": "Từ {start} đến {end}"},
    "sched_from": {"en": "From {start}", "vi": "Từ {start}"},
    "sched_until": {"en": "Until {end}", "vi": "Đến {end}"},
    "sched_closed_days": {"en": "Closed on {days}", "vi": "Nghỉ vào {days}"},
    "dur_minutes": {"en": "{n} min", "vi": "{n} phút"},
    "dur_hours": {"en": "{n} h", "vi": "{n} giờ"},
    "dur_days": {"en": "{n} days", "vi": "{n} ngày"},
    "retry_rule": {"en": "called again after {after}, at most {attempts} attempts",
                   "vi": "gọi lại sau {after}, tối đa {attempts} lần"},
    "retry_other": {"en": "Any other result", "vi": "Các kết quả khác"},
    "retry_no_recall": {"en": "the number is not called again for {hours} h",
                        "vi": "số này không được gọi lại trong {hours} giờ"},
    "act_resume": {"en": "Resume", "vi": "Tiếp tục"},
    "sim_summary": {"en": "{days} of {hours} h for each of {pacers}: {scenario}",
                    "vi": "{days}, mỗi ngày {hours} giờ, cho mỗi bộ trong {pacers}: {scenario}"},
    "sim_days_1": {"en": "1 simulated day", "vi": "1 ngày mô phỏng"},
    "sim_days_n": {"en": "{n} simulated days", "vi": "{n} ngày mô phỏng"},
    "sim_pacers_1": {"en": "1 pacer", "vi": "1 bộ điều nhịp"},
    "sim_pacers_n": {"en": "{n} pacers", "vi": "{n} bộ điều nhịp"},
    "campaign_actions_none": {"en": "This campaign is stopped: nothing more can be done with it.",
                              "vi": "Chiến dịch này đã dừng hẳn: không thể thao tác thêm."},
    "agents_logged_in": {"en": "Agents signed in", "vi": "Nhân viên đang làm việc"},
    "calls_in_flight": {"en": "Calls ringing", "vi": "Cuộc gọi đang đổ chuông"},
    "calls_waiting": {"en": "Waiting for an agent", "vi": "Đang chờ nhân viên"},
    "calls_connected": {"en": "Customers on the line", "vi": "Khách hàng đang nghe máy"},
    "dial_rate": {"en": "Dials per minute", "vi": "Cuộc quay mỗi phút"},
    "connects_hour": {"en": "Connects in the last hour", "vi": "Kết nối trong giờ qua"},
    "pacer_decision": {"en": "Pacer's last decision", "vi": "Quyết định gần nhất của bộ điều nhịp"},
    "abandon_24h": {"en": "Abandoned, 24 h", "vi": "Bị bỏ, 24 giờ"},
    "abandon_30d": {"en": "Abandoned, 30 days", "vi": "Bị bỏ, 30 ngày"},
    "updated": {"en": "Updated", "vi": "Cập nhật"},
    "live_lost": {"en": "Live updates interrupted; reconnecting…", "vi": "Mất kết nối cập nhật trực tiếp; đang kết nối lại…"},
    "fullscreen": {"en": "Full screen", "vi": "Toàn màn hình"},
    "dials_calls": {"en": "{calls} calls now", "vi": "{calls} cuộc gọi lúc này"},
    # --- first steps on the home page
    "getting_started": {"en": "Getting started", "vi": "Bắt đầu"},
    "start_admin_1": {"en": "Create the people who will use the dialer under Users: team leads, agents (with the dial string of their phone) and compliance officers. Each picks English or Vietnamese.",
                      "vi": "Tạo tài khoản cho những người dùng hệ thống trong mục Người dùng: trưởng nhóm, nhân viên (kèm chuỗi quay số điện thoại của họ) và cán bộ tuân thủ. Mỗi người tự chọn tiếng Anh hoặc tiếng Việt."},
    "start_admin_2": {"en": "A team lead creates a campaign, uploads its call list, assigns agents and starts it.",
                      "vi": "Trưởng nhóm tạo chiến dịch, tải danh sách cuộc gọi lên, phân công nhân viên và bắt đầu chiến dịch."},
    "start_admin_3": {"en": "A compliance officer imports the national do-not-call registry and watches abandonment.",
                      "vi": "Cán bộ tuân thủ nhập danh bạ cấm gọi quốc gia và theo dõi tỷ lệ cuộc gọi bị bỏ."},
    "start_admin_4": {"en": "Agents open the agent panel, connect their phone and press Ready.",
                      "vi": "Nhân viên mở bảng điều khiển, kết nối điện thoại và bấm Sẵn sàng."},
    "start_team_lead_1": {"en": "Create a campaign: dialling mode, schedule, calling window, retry policy and dispositions.",
                          "vi": "Tạo chiến dịch: chế độ quay số, lịch chạy, khung giờ gọi, quy tắc gọi lại và kết quả cuộc gọi."},
    "start_team_lead_2": {"en": "Upload a call list (CSV or Excel), check the column mapping and read the rejects report.",
                          "vi": "Tải danh sách cuộc gọi lên (CSV hoặc Excel), kiểm tra các cột và xem báo cáo dòng bị loại."},
    "start_team_lead_3": {"en": "Assign agents and press Start; follow it on the wallboard.",
                          "vi": "Phân công nhân viên và bấm Bắt đầu; theo dõi trên bảng theo dõi trực tiếp."},
    "start_agent_1": {"en": "Open the agent panel, choose your campaign and press Connect my phone; answer when it rings.",
                      "vi": "Mở bảng điều khiển, chọn chiến dịch và bấm Kết nối điện thoại; nhấc máy khi điện thoại đổ chuông."},
    "start_agent_2": {"en": "Customers are connected to you with their details on screen; after each call choose a result and save.",
                      "vi": "Khách hàng được kết nối tới bạn cùng thông tin trên màn hình; sau mỗi cuộc gọi hãy chọn kết quả và lưu."},
    "start_agent_3": {"en": "Use Pause with a reason for breaks, and Stop taking calls at the end of the day.",
                      "vi": "Bấm Tạm dừng kèm lý do khi nghỉ, và Ngừng nhận cuộc gọi khi hết ca."},
    "start_compliance_1": {"en": "Check, add or remove numbers on the do-not-call lists; every change needs a reason and is audited.",
                           "vi": "Kiểm tra, thêm hoặc gỡ số trong danh sách không gọi; mọi thay đổi cần lý do và được ghi nhật ký."},
    "start_compliance_2": {"en": "Import the national registry file; the dialer checks it before every call.",
                           "vi": "Nhập tệp danh bạ quốc gia; hệ thống kiểm tra trước mỗi cuộc gọi."},
    "start_compliance_3": {"en": "Watch each campaign's abandonment over 24 hours and 30 days against its cap.",
                           "vi": "Theo dõi tỷ lệ bỏ cuộc gọi của từng chiến dịch trong 24 giờ và 30 ngày so với mức trần."},
    "nav_simulations": {"en": "Simulations", "vi": "Mô phỏng"},
    "cap_simulations": {"en": "Simulate a campaign to tune pacing before going live",
                        "vi": "Mô phỏng chiến dịch để chỉnh nhịp quay số trước khi chạy thật"},
    "sim_help": {"en": "Compare pacers on simulated campaign days: pick a scenario, change the team, connect rate or "
                       "talk time to match yours, and run. Nothing is dialled.",
                 "vi": "So sánh các bộ điều nhịp trên những ngày chiến dịch mô phỏng: chọn kịch bản, đổi số nhân viên, "
                       "tỷ lệ kết nối hoặc thời gian nói cho giống của bạn, rồi chạy. Không có cuộc gọi thật nào."},
    "sim_scenario": {"en": "Scenario", "vi": "Kịch bản"},
    "sim_pacers": {"en": "Pacers to compare", "vi": "Bộ điều nhịp cần so sánh"},
    "sim_agents": {"en": "Agents", "vi": "Số nhân viên"},
    "sim_connect": {"en": "Connect rate, %", "vi": "Tỷ lệ kết nối, %"},
    "sim_talk": {"en": "Mean talk time, seconds", "vi": "Thời gian nói trung bình, giây"},
    "sim_from_scenario": {"en": "as in the scenario", "vi": "theo kịch bản"},
    "sim_hours": {"en": "Hours in the day", "vi": "Số giờ trong ngày"},
    "sim_seeds": {"en": "Days per pacer (seeds)", "vi": "Số ngày cho mỗi bộ điều nhịp"},
    "sim_toml": {"en": "Or your own scenario (TOML)", "vi": "Hoặc kịch bản riêng (TOML)"},
    "sim_run": {"en": "Run the simulation", "vi": "Chạy mô phỏng"},
    "sim_pacer": {"en": "Pacer", "vi": "Bộ điều nhịp"},
    "sim_abandoned": {"en": "Abandoned", "vi": "Bị bỏ"},
    "sim_worst_day": {"en": "Worst day", "vi": "Ngày tệ nhất"},
    "sim_worst_hour": {"en": "Worst hour", "vi": "Giờ tệ nhất"},
    "sim_occupancy": {"en": "Occupancy", "vi": "Tỷ lệ bận"},
    "sim_talk_per_hour": {"en": "Talk min per agent hour", "vi": "Phút nói mỗi giờ nhân viên"},
    "sim_connects_per_hour": {"en": "Connects per hour", "vi": "Kết nối mỗi giờ"},
    "sim_table_help": {"en": "Abandoned: share of live answers with no agent within 2 seconds (the cap is 3%). "
                             "Occupancy: time agents spend on calls over their logged-in time.",
                       "vi": "Bị bỏ: tỷ lệ cuộc gọi có người nghe mà không có nhân viên trong 2 giây (mức trần 3%). "
                             "Tỷ lệ bận: thời gian nhân viên ở trong cuộc gọi trên thời gian đăng nhập."},
    "sim_plot_alt": {"en": "Abandonment and occupancy per hour of the simulated day, per pacer",
                     "vi": "Tỷ lệ bỏ và tỷ lệ bận theo từng giờ của ngày mô phỏng, cho mỗi bộ điều nhịp"},
    "sim_download_calls": {"en": "Download every simulated call (CSV)", "vi": "Tải mọi cuộc gọi mô phỏng (CSV)"},
    "sim_another": {"en": "Run another", "vi": "Chạy mô phỏng khác"},
    "pbx_down": {"en": "No PBX connected: no call can be placed and running campaigns are on hold ({detail}).",
                 "vi": "Không có tổng đài (PBX) nào kết nối: không thể gọi, các chiến dịch đang chạy bị tạm giữ "
                       "({detail})."},
    "pbx_degraded": {"en": "Some PBX servers are down; calls go through the others ({detail}).",
                     "vi": "Một số máy chủ tổng đài không hoạt động; cuộc gọi đi qua các máy còn lại ({detail})."},
    "sound_missing": {"en": "The safe-harbor message is not on the PBX:",
                      "vi": "Lời nhắn khi không có nhân viên rảnh không có trên tổng đài:"},
    "sound_unchecked": {"en": "Saved, but the safe-harbor message could not be checked on the PBX ({reason}). "
                              "It is checked again before the campaign dials.",
                        "vi": "Đã lưu, nhưng chưa kiểm tra được lời nhắn trên tổng đài ({reason}). Lời nhắn sẽ "
                              "được kiểm tra lại trước khi chiến dịch quay số."},
    "safe_harbor_help": {"en": "Asterisk sound name(s) without extension, e.g. please-try-call-later (the default) "
                               "or custom/our-message; a&b plays both. Checked on every PBX when saved.",
                         "vi": "Tên âm thanh của Asterisk, không có phần mở rộng, ví dụ please-try-call-later (mặc "
                               "định) hoặc custom/loi-nhan; a&b phát cả hai. Được kiểm tra trên mọi tổng đài khi lưu."},
    "campaign_on_hold": {"en": "On hold, not dialling:", "vi": "Đang tạm giữ, không quay số:"},
    # the agent panel's settings of a campaign (campaigns.panel_settings), set by the team lead
    "panel_settings": {"en": "Agent panel", "vi": "Bảng điều khiển của nhân viên"},
    "shortcuts": {"en": "Keyboard shortcuts", "vi": "Phím tắt"},
    "shortcuts_help": {
        "en": "One change per line, 'action = key': actions ready, pause, hangup and disposition:CODE; a key is a "
              "letter, a digit or F1-F12, optionally after Alt+ or Shift+; 'action =' removes a shortcut. "
              "Defaults: R ready, P pause, H hang up, 1 to 9 and 0 the dispositions in order.",
        "vi": "Mỗi dòng một thay đổi, 'thao tác = phím': các thao tác ready (sẵn sàng), pause (tạm dừng), hangup "
              "(gác máy) và disposition:MÃ; phím là một chữ cái, một chữ số hoặc F1-F12, có thể kèm Alt+ hoặc "
              "Shift+; 'thao tác =' bỏ phím tắt. Mặc định: R sẵn sàng, P tạm dừng, H gác máy, 1 đến 9 và 0 cho "
              "các kết quả cuộc gọi theo thứ tự."},
    "pause_codes": {"en": "Pause codes", "vi": "Mã tạm dừng"},
    "pause_codes_help": {
        "en": "One per line, 'code' or 'code = Label' (code: lowercase letters, digits, _ and -). Agents pause only "
              "with one of these; the wallboard shows the code. Empty: break, lunch, meeting, training, other.",
        "vi": "Mỗi dòng một mã, 'mã' hoặc 'mã = Nhãn' (mã: chữ thường, chữ số, _ và -). Nhân viên chỉ tạm dừng với "
              "một trong các mã này; bảng theo dõi hiển thị mã. Để trống: break, lunch, meeting, training, other."},
    "agent_script": {"en": "Agent script", "vi": "Kịch bản cho nhân viên"},
    "agent_script_help": {
        "en": "Shown to the agent with each call. Fields in double braces: {{ first_name }}, {{ last_name }}, "
              "{{ phone }}, {{ postal_code }}, {{ agent_name }}, {{ campaign_name }}, and {{ fields.COLUMN }} for "
              "a column of the lead's list. A field not in this list is refused when saving.",
        "vi": "Hiển thị cho nhân viên cùng mỗi cuộc gọi. Các trường đặt trong hai cặp ngoặc nhọn: {{ first_name }}, "
              "{{ last_name }}, {{ phone }}, {{ postal_code }}, {{ agent_name }}, {{ campaign_name }}, và "
              "{{ fields.CỘT }} cho một cột của danh sách khách hàng. Trường không có trong danh sách này sẽ bị từ "
              "chối khi lưu."},
    "bad_setting_shortcuts": {"en": "Keyboard shortcuts:", "vi": "Phím tắt:"},
    "bad_setting_pause_codes": {"en": "Pause codes:", "vi": "Mã tạm dừng:"},
    "bad_setting_agent_script": {"en": "Agent script:", "vi": "Kịch bản cho nhân viên:"},
    "script_failed": {"en": "The script could not be filled in for this call:",
                      "vi": "Không điền được kịch bản cho cuộc gọi này:"},
    "err_unknown_pause_code": {"en": "'{code}' is not a pause code of this campaign; choose one of {codes}",
                               "vi": "'{code}' không phải là mã tạm dừng của chiến dịch này; hãy chọn một trong {codes}"},
    # a setting that reaches Asterisk refused at save (campaigns.model): the field, then the English detail
    "bad_setting_trunk_template": {
        "en": "Trunk: Asterisk cannot dial this. Write Technology/resource with {number} or {digits}, no blank, "
              "comma, quote, '|', '&' or accented letter, e.g. PJSIP/{number}@carrier.",
        "vi": "Đường trung kế: Asterisk không thể quay chuỗi này. Hãy viết Công-nghệ/tài-nguyên có {number} hoặc "
              "{digits}, không có khoảng trắng, dấu phẩy, dấu nháy, '|', '&' hay chữ có dấu, ví dụ PJSIP/{number}@carrier."},
    "bad_setting_caller_id": {
        "en": "Caller ID: write a number, or \"Name\" <number>; the name may hold any text but a line break, < or >.",
        "vi": "Số hiển thị: hãy viết một số, hoặc \"Tên\" <số>; tên có thể chứa mọi ký tự trừ xuống dòng, < và >."},
    "bad_setting_safe_harbor_message": {
        "en": "Safe-harbor message: Playback cannot take this name. Use sound names without blanks, commas, quotes, "
              "'|' or accented letters, joined by &.",
        "vi": "Lời nhắn khi không có nhân viên rảnh: Playback không nhận tên này. Hãy dùng tên âm thanh không có "
              "khoảng trắng, dấu phẩy, dấu nháy, '|' hay chữ có dấu, nối bằng &."},
    # why a campaign paused itself (dialer.campaign_health); {detail} is the PBX's own word, untranslated
    "health_originate_rejected": {
        "en": "Paused by the dialer: the PBX refused {count} calls in a row, so no lead lost an attempt. "
              "Check the trunk template and the dialplan, then start the campaign again. ({detail})",
        "vi": "Hệ thống đã tạm dừng: tổng đài từ chối {count} cuộc gọi liên tiếp, không khách hàng nào bị tính "
              "lượt gọi. Hãy kiểm tra mẫu trung kế và dialplan, rồi chạy lại chiến dịch. ({detail})"},
    "health_failures_in_a_row": {
        "en": "Paused by the dialer: {count} calls in a row reached nobody. Check the trunk and the PBX, "
              "then start the campaign again. ({detail})",
        "vi": "Hệ thống đã tạm dừng: {count} cuộc gọi liên tiếp không kết nối được ai. Hãy kiểm tra trung kế và "
              "tổng đài, rồi chạy lại chiến dịch. ({detail})"},
    # --- leads for team leads and list management (admin_ui/routes/pages_leads.py, list_admin_panel.html)
    "nav_leads": {"en": "Leads", "vi": "Khách hàng"},
    "lead": {"en": "Lead", "vi": "Khách hàng"},
    "lead_search": {"en": "Number or name", "vi": "Số điện thoại hoặc tên"},
    "lead_search_hint": {"en": "0987 654 321, Nguyen…", "vi": "0987 654 321, Nguyễn…"},
    "any": {"en": "any", "vi": "tất cả"},
    "attempts_from": {"en": "Attempts from", "vi": "Số lần gọi từ"},
    "attempts_to": {"en": "to", "vi": "đến"},
    "last_outcome": {"en": "Last outcome", "vi": "Kết quả gần nhất"},
    "never_called": {"en": "never called", "vi": "chưa gọi lần nào"},
    "call_list": {"en": "List", "vi": "Danh sách"},
    "contains": {"en": "contains", "vi": "có chứa"},
    "leads_found": {"en": "{count} leads", "vi": "{count} khách hàng"},
    "leads_found_one": {"en": "1 lead", "vi": "1 khách hàng"},
    "leads_more_than": {"en": "More than {count} leads", "vi": "Hơn {count} khách hàng"},
    "export_csv": {"en": "Export CSV", "vi": "Xuất CSV"},
    "export_too_big_xlsx": {
        "en": "{count} leads do not fit in one Excel sheet (at most {most}): export them as CSV, or filter them.",
        "vi": "{count} khách hàng không vừa một trang tính Excel (tối đa {most}): hãy xuất CSV hoặc lọc bớt."},
    "export_xlsx": {"en": "Export Excel (XLSX)", "vi": "Xuất Excel (XLSX)"},
    "first_page": {"en": "« First page", "vi": "« Trang đầu"},
    "next_page": {"en": "Next page »", "vi": "Trang sau »"},
    "no_leads_match": {"en": "No lead matches these filters.", "vi": "Không có khách hàng nào khớp với bộ lọc."},
    "next_attempt": {"en": "Next attempt", "vi": "Lần gọi tiếp theo"},
    "edit_lead": {"en": "Edit the lead", "vi": "Sửa thông tin khách hàng"},
    "lead_zones": {"en": "Time zones (comma-separated)", "vi": "Múi giờ (cách nhau bằng dấu phẩy)"},
    "lead_zone_flag": {"en": "Time zone of the file", "vi": "Múi giờ trong tệp"},
    "leads_zone_flagged": {"en": "Only leads whose file's time zone was not used",
                           "vi": "Chỉ khách hàng có múi giờ trong tệp không được dùng"},
    "lead_fields": {"en": "Other columns of the file", "vi": "Các cột khác của tệp"},
    "lead_edit_help": {
        "en": "One column per line, name = value. A new number is read as at import (the campaign's country), "
              "and refused when it is invalid, already in the campaign or on a do-not-call list. Every change is "
              "recorded with your name.",
        "vi": "Mỗi dòng một cột, tên = giá trị. Số mới được đọc như khi nhập danh sách (theo quốc gia của chiến "
              "dịch) và bị từ chối nếu không hợp lệ, đã có trong chiến dịch hoặc nằm trong danh sách không gọi. Mọi "
              "thay đổi đều được ghi lại kèm tên bạn."},
    "lead_calls": {"en": "Calls", "vi": "Các cuộc gọi"},
    "call_in_progress": {"en": "in progress", "vi": "đang diễn ra"},
    "no_calls_yet": {"en": "No call yet.", "vi": "Chưa có cuộc gọi nào."},
    "lead_changes": {"en": "Changes", "vi": "Lịch sử thay đổi"},
    "what_changed": {"en": "What changed", "vi": "Nội dung thay đổi"},
    "no_changes_yet": {"en": "Not changed since the import.", "vi": "Chưa thay đổi kể từ khi nhập."},
    "lead_saved": {"en": "The lead was saved.", "vi": "Đã lưu thông tin khách hàng."},
    "lead_refused_bad_value": {"en": "A value is too long or holds control characters.",
                               "vi": "Có giá trị quá dài hoặc chứa ký tự điều khiển."},
    "lead_refused_bad_fields": {"en": "Write each column on its own line as name = value.",
                                "vi": "Hãy viết mỗi cột trên một dòng theo dạng tên = giá trị."},
    "lead_refused_bad_field": {"en": "This field cannot be edited.", "vi": "Không thể sửa trường này."},
    "lead_refused_bad_zone": {"en": "This is not a time zone; write it as Asia/Ho_Chi_Minh.",
                              "vi": "Đây không phải là múi giờ; hãy viết theo dạng Asia/Ho_Chi_Minh."},
    "lead_refused_being_dialled": {"en": "The lead is being dialled; change its number once the call has ended.",
                                   "vi": "Khách hàng đang được gọi; hãy đổi số sau khi cuộc gọi kết thúc."},
    "lead_refused_bad_phone": {"en": "This is not a valid phone number.",
                               "vi": "Đây không phải là số điện thoại hợp lệ."},
    "lead_refused_duplicate_phone": {"en": "Another lead of this campaign already has this number.",
                                     "vi": "Một khách hàng khác của chiến dịch đã có số này."},
    "lead_refused_dnc_phone": {"en": "This number is on a do-not-call list.",
                               "vi": "Số này nằm trong danh sách không gọi."},
    "lead_refused_list_in_use": {
        "en": "Leads of this list are being dialled. Disable the list, and delete it once their calls have ended.",
        "vi": "Khách hàng của danh sách này đang được gọi. Hãy tắt danh sách và xóa sau khi các cuộc gọi kết thúc."},
    "lead_refused_list_importing": {"en": "The list is still being imported; disable it once it is ready.",
                                    "vi": "Danh sách vẫn đang được nhập; hãy tắt sau khi nhập xong."},
    "reset_statuses_only": {"en": "Only new, to-retry and done leads can be reset.",
                            "vi": "Chỉ có thể đặt lại khách hàng mới, chờ gọi lại hoặc đã xong."},
    "reset_choose": {"en": "Choose a status or a last outcome to reset.",
                     "vi": "Hãy chọn trạng thái hoặc kết quả gần nhất cần đặt lại."},
    "recycle_minutes": {"en": "The no-answer delay is a number of minutes, from 1 to 129600 (90 days).",
                        "vi": "Thời gian chờ khi không trả lời là số phút, từ 1 đến 129600 (90 ngày)."},
    "list_management": {"en": "List management", "vi": "Quản lý danh sách"},
    "browse_leads": {"en": "Browse the leads", "vi": "Xem khách hàng"},
    "dialling": {"en": "Dialling", "vi": "Quay số"},
    "recycle_no_answers": {"en": "Call no-answers again after", "vi": "Gọi lại số không trả lời sau"},
    "recycle_minutes_label": {"en": "Minutes before a no-answer is called again",
                              "vi": "Số phút trước khi gọi lại số không trả lời"},
    "campaign_rule": {"en": "campaign's rule", "vi": "theo chiến dịch"},
    "minutes": {"en": "min", "vi": "phút"},
    "reset_leads": {"en": "Another pass", "vi": "Gọi lại lượt mới"},
    "reset": {"en": "Reset", "vi": "Đặt lại"},
    "confirm_reset": {"en": "Give these leads another pass (attempt count back to 0)?",
                      "vi": "Gọi lại các khách hàng này từ đầu (số lần gọi về 0)?"},
    "delete": {"en": "Delete", "vi": "Xóa"},
    "confirm_delete_list": {"en": "Delete this list and its leads? Their call history is kept.",
                            "vi": "Xóa danh sách này và các khách hàng của nó? Lịch sử cuộc gọi vẫn được giữ."},
    "list_on": {"en": "on", "vi": "đang bật"},
    "list_off": {"en": "disabled", "vi": "đã tắt"},
    "btn_list_disable": {"en": "Disable", "vi": "Tắt"},
    "btn_list_enable": {"en": "Enable", "vi": "Bật"},
    "list_disable": {"en": "The list is disabled: none of its leads will be dialled until it is enabled.",
                     "vi": "Đã tắt danh sách: không khách hàng nào của danh sách được gọi cho đến khi bật lại."},
    "list_enable": {"en": "The list is enabled: its leads are dialled again.",
                    "vi": "Đã bật danh sách: các khách hàng của danh sách sẽ được gọi lại."},
    "list_operations": {"en": "Recent list operations and lead edits", "vi": "Thao tác gần đây trên danh sách và khách hàng"},
    "operation": {"en": "Operation", "vi": "Thao tác"},
    "no_list_operations": {"en": "No operation yet.", "vi": "Chưa có thao tác nào."},
    "op_lead_edit": {"en": "lead edited", "vi": "sửa khách hàng"},
    "op_list_enable": {"en": "list enabled", "vi": "bật danh sách"},
    "op_list_disable": {"en": "list disabled", "vi": "tắt danh sách"},
    "op_list_reset": {"en": "leads reset", "vi": "đặt lại khách hàng"},
    "op_list_recycle": {"en": "no-answer delay set", "vi": "đặt thời gian gọi lại số không trả lời"},
    "op_list_delete": {"en": "list deleted", "vi": "xóa danh sách"},
    "list_reset": {"en": "The leads were reset: see the list operations below.",
                   "vi": "Đã đặt lại khách hàng: xem các thao tác bên dưới."},
    "list_recycle": {"en": "The no-answer delay was saved.", "vi": "Đã lưu thời gian gọi lại số không trả lời."},
    "list_delete": {"en": "The list was deleted; its call history is kept.",
                    "vi": "Đã xóa danh sách; lịch sử cuộc gọi vẫn được giữ."},
}


def translator(language: str) -> Callable[..., str]:
    """``t(key, **values)`` in ``language`` (English when a string has no translation)."""
    lang = language if language in LANGUAGES else "en"

    def t(key: str, **values: object) -> str:
        entry = MESSAGES.get(key)
        text = (entry.get(lang) or entry["en"]) if entry else key
        return text.format(**values) if values else text

    return t


# --- why an import refused or flagged something (dialer.reasons): "reason_<code>", the English from
# dialer.reasons.ENGLISH (what the CLI prints and old rows store), the Vietnamese here
_ZONE_USED_VI = {"postal": "; dùng múi giờ của mã bưu chính ({zones})", "number": "; dùng múi giờ của số điện thoại ({zones})",
                 "campaign": "; dùng múi giờ của chiến dịch"}
_QUOTE_VI = "dấu ngoặc kép mở ở dòng {start} không được đóng: "
_QUOTE_LOST_VI = "; các dòng {start}-{end} không được nhập"
_ROWS_VI = "trường của nó nuốt các dòng trông như các dòng dữ liệu của tệp; "
_SIZE_VI = "trường của nó dài quá {lines} dòng hoặc {kib} KiB; "
REASONS_VI: dict[str, str] = {
    "missing_number": "thiếu số điện thoại",
    "not_a_number": "không phải là số điện thoại",
    "invalid_number": "số điện thoại không hợp lệ",
    "rounded_by_spreadsheet": "số đã bị bảng tính làm tròn",
    "formula": "công thức không phải là số điện thoại",
    "decimal_number": "số thập phân không phải là số điện thoại",
    "unreadable_row": "dòng không đọc được: {error}",
    "too_few_fields": "{fields} trường nhưng dòng tiêu đề có {width} (thiếu): "
                      "mỗi dòng phải có số trường bằng dòng tiêu đề",
    "too_many_fields": "{fields} trường nhưng dòng tiêu đề có {width} (thừa): "
                       "mỗi dòng phải có số trường bằng dòng tiêu đề",
    "unterminated_quote_eof": _QUOTE_VI + "tệp kết thúc khi dấu ngoặc vẫn mở" + _QUOTE_LOST_VI,
    "unterminated_quote_rows_eof": _QUOTE_VI + _ROWS_VI + "tệp kết thúc khi dấu ngoặc vẫn mở" + _QUOTE_LOST_VI,
    "unterminated_quote_rows_closed": _QUOTE_VI + _ROWS_VI + "nó chỉ đóng ở dòng {end}" + _QUOTE_LOST_VI,
    "unterminated_quote_size_eof": _QUOTE_VI + _SIZE_VI + "tệp kết thúc khi dấu ngoặc vẫn mở" + _QUOTE_LOST_VI,
    "unterminated_quote_size_closed": _QUOTE_VI + _SIZE_VI + "nó chỉ đóng ở dòng {end}" + _QUOTE_LOST_VI,
    "swallowed_by_quote": "bị nuốt bởi dấu ngoặc kép không đóng mở ở dòng {start}",
    "above_header": "nằm trên dòng tiêu đề (dòng {row})",
    "header_row_not_offered": "{name}: dòng {row} không thể là dòng tên cột: hãy chọn một trong {count} dòng đầu "
                              "({rows})",
    "header_row_empty": "{name}: dòng {row} trống nên không chứa tên cột",
    "workbook_unreadable": "{name}: không đọc được bảng tính ({error})",
    "full_name_and_parts": "chỉ chọn cột họ và tên đầy đủ, hoặc cột họ và cột tên, không chọn cả hai",
    "dnc_unavailable": "không kiểm tra được danh sách không gọi (DNC) nên chưa nhập gì",
    "duplicate_in_file": "{number} đã có ở dòng {line}",
    "on_dnc": "{number} nằm trong danh sách không gọi {list}",
    "already_in_campaign": "{number} đã có trong chiến dịch",
    **{f"zone_unknown_{where}": "múi giờ '{zone}' không phải là múi giờ đã biết" + used
       for where, used in _ZONE_USED_VI.items()},
    **{f"zone_mismatch_{where}": "múi giờ '{zone}' không khớp với múi giờ của " +
       ("mã bưu chính" if where == "postal" else "số điện thoại") + used
       for where, used in _ZONE_USED_VI.items() if where != "campaign"},
    **{f"zone_ambiguous_{where}": "múi giờ '{zone}' có thể là một trong {count} múi giờ" + used
       for where, used in _ZONE_USED_VI.items()},
    "empty": "trống",
    "unknown_country_code_hint": "mã quốc gia không xác định (viết dạng +CC... hoặc chọn một vùng)",
    "too_short_after_idd": "quá ngắn sau mã quay số quốc tế",
    "too_short": "quá ngắn",
    "too_long": "quá dài",
    "unknown_country_code": "mã quốc gia không xác định",
    "wrong_length": "độ dài không đúng với quốc gia của số",
    "no_such_range": "không có dải số này ở quốc gia của số",
    "not_e164": "không ở dạng E.164 (+ và 6 đến 15 chữ số)",
    "progress_reading": "đang đọc {name}",
    "progress_rows": "đã đọc {rows} dòng, đã nhập {imported} khách hàng",
    "progress_done": "xong: đã nhập {imported}, bị từ chối {rejected}",
    "progress_lines": "đã đọc {lines} dòng, {invalid} dòng không hợp lệ",
    "dnc_import_of": "nhập từ tệp {name}",
    "dnc_no_such_column": "không có cột tên {column} trong dòng tiêu đề {header}",
    "dnc_list_other_kind": "danh sách DNC {name} thuộc loại {kind}, không phải loại {wanted}",
    "sms_opted_out": "{number} nằm trong danh sách từ chối SMS {list}",
    "sms_dnc": "{number} nằm trong danh sách không liên lạc {list}",
    "sms_dnc_unknown": "không kiểm tra được các danh sách không liên lạc, nên tin nhắn không được gửi",
    "sms_no_zone": "không rõ múi giờ của người nhận ({zones}), nên không kiểm tra được giờ yên lặng",
    "sms_quiet_hours": "ngoài khung giờ {window} tại {zones}",
    "sms_provider_refused": "nhà cung cấp từ chối tin nhắn: {error}",
    "sms_retries_exhausted": "nhà cung cấp vẫn lỗi sau {attempts} lần thử: {error}",
    "sms_outcome_unknown": "nhà cung cấp {provider} không trả lời và không chống trùng lặp, "
                           "nên tin nhắn không được gửi lại: {error}",
    "sms_no_provider": "không có nhà cung cấp SMS tên {provider}",
    "sms_render_failed": "không điền được mẫu tin cho người nhận này: {error}",
    "sms_cancelled": "đợt gửi đã bị hủy",
    "sms_retry": "chưa gửi được, sẽ thử lại: {error}",
    "sms_no_number": "khách hàng không có số điện thoại",
    "sms_keyword_opt_out": "khách hàng nhắn {keyword}",
    "sms_keyword_opt_in": "khách hàng nhắn {keyword} để nhận tin nhắn trở lại",
}


def _reason_messages() -> dict[str, dict[str, str]]:
    from dialer.reasons import ENGLISH

    return {f"reason_{code}": {"en": text, **({"vi": REASONS_VI[code]} if code in REASONS_VI else {})}
            for code, text in ENGLISH.items()}


MESSAGES.update(_reason_messages())


def _queue_messages() -> dict[str, dict[str, str]]:
    from admin_ui.queue_text import QUEUE_MESSAGES  # the inbound queue pages (campaigns.queues)

    return QUEUE_MESSAGES


MESSAGES.update(_queue_messages())


def _staffing_messages() -> dict[str, dict[str, str]]:
    from admin_ui.staffing_text import STAFFING_MESSAGES  # queue wallboard tiles, queue report, staffing

    return STAFFING_MESSAGES


MESSAGES.update(_staffing_messages())


def _site_messages() -> dict[str, dict[str, str]]:
    from admin_ui.site_text import SITE_MESSAGES  # several sites (dialer.sites): filter, status, manager role

    return SITE_MESSAGES


MESSAGES.update(_site_messages())


def _sms_page_messages() -> dict[str, dict[str, str]]:
    from admin_ui.sms_page_text import SMS_PAGE_MESSAGES  # SMS log, sends, statistics, providers, panel

    return SMS_PAGE_MESSAGES


MESSAGES.update(_sms_page_messages())


def _sms_template_messages() -> dict[str, dict[str, str]]:
    from admin_ui.sms_template_text import SMS_TEMPLATE_MESSAGES  # SMS template editor, counter, preview

    return SMS_TEMPLATE_MESSAGES


MESSAGES.update(_sms_template_messages())


def _survey_messages() -> dict[str, dict[str, str]]:
    from admin_ui.survey_text import SURVEY_MESSAGES  # survey list, builder, statistics, the panel's survey

    return SURVEY_MESSAGES


MESSAGES.update(_survey_messages())


def _timesheet_messages() -> dict[str, dict[str, str]]:
    from admin_ui.timesheet_text import TIMESHEET_MESSAGES  # the time sheet page (dialer.timesheets)

    return TIMESHEET_MESSAGES


MESSAGES.update(_timesheet_messages())


def _recording_messages() -> dict[str, dict[str, str]]:
    from admin_ui.recordings_text import RECORDING_MESSAGES  # recordings: pages, forms, the panel's pause

    return RECORDING_MESSAGES


MESSAGES.update(_recording_messages())


def _report_messages() -> dict[str, dict[str, str]]:
    from admin_ui.report_text import REPORT_MESSAGES  # the report pages, the compliance DNC columns

    return REPORT_MESSAGES


MESSAGES.update(_report_messages())


def reason_text(t: Callable[..., str], code: str | None, params: Mapping[str, object] | str | None,
                stored: str) -> str:
    """A reason (``dialer.reasons``: its code and parameters, a dict or the stored JSON) in ``t``'s language;
    a row stored without a code, or with one this version does not know, shows its stored text."""
    from dialer.reasons import params_of, render

    if not code or f"reason_{code}" not in MESSAGES:
        return stored
    try:
        return render(t(f"reason_{code}"), params_of(params) if isinstance(params, str) else params or {})
    except (KeyError, IndexError, ValueError):
        return stored          # parameters that do not fit the text (stored by another version): the stored text


def reason_renderer(language: str) -> Callable[[str, str, str], str]:
    """``(code, params JSON, stored text) -> text`` in ``language`` (for the rejects report)."""
    t = translator(language)
    return lambda code, params, stored: reason_text(t, code, params, stored)


def localise_job_result(result: object, language: str) -> object:
    """A job's result as the reader reads it: a DNC import's summary and the lines that were not numbers
    (``dnc.imports``: ``summary_code``/``summary_params`` and ``bad_lines`` with reason codes) in
    ``language``, replacing the English ``summary`` and ``examples``; any other result as it is."""
    if not isinstance(result, dict) or ("summary_code" not in result and "bad_lines" not in result):
        return result
    t = translator(language)
    shown = dict(result)
    code, values = result.get("summary_code"), result.get("summary_params")
    if isinstance(code, str) and code in MESSAGES and isinstance(values, dict):
        try:
            shown["summary"] = t(code, **{**values, "kind": t(f"kind_{values.get('kind')}")})
        except (KeyError, IndexError, ValueError):
            pass                            # values this version does not know: the English summary
    bad = result.get("bad_lines")
    if isinstance(bad, list) and bad:
        shown["examples"] = [t("dnc_bad_line", line=b.get("line"), text=b.get("text"),
                               reason=reason_text(t, b.get("code"), b.get("params"), str(b.get("reason", ""))))
                             for b in bad if isinstance(b, dict)]
    return shown
