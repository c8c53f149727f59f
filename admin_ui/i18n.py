"""Interface strings in English and Vietnamese; each user picks a language, pages call ``t(key)``."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("en", "vi")

MESSAGES: dict[str, dict[str, str]] = {
    "app_name": {"en": "Dialer", "vi": "Dialer"},
    "sign_in": {"en": "Sign in", "vi": "Đăng nhập"},
    "sign_out": {"en": "Sign out", "vi": "Đăng xuất"},
    "username": {"en": "Username", "vi": "Tên đăng nhập"},
    "password": {"en": "Password", "vi": "Mật khẩu"},
    "bad_login": {"en": "Wrong username or password.", "vi": "Sai tên đăng nhập hoặc mật khẩu."},
    "too_many_logins": {
        "en": "Too many failed sign-ins. Wait 15 minutes and try again.",
        "vi": "Đăng nhập sai quá nhiều lần. Vui lòng đợi 15 phút rồi thử lại.",
    },
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
}


def translator(language: str) -> Callable[..., str]:
    """``t(key, **values)`` in ``language`` (English when a string has no translation)."""
    lang = language if language in LANGUAGES else "en"

    def t(key: str, **values: object) -> str:
        entry = MESSAGES.get(key)
        text = (entry.get(lang) or entry["en"]) if entry else key
        return text.format(**values) if values else text

    return t
